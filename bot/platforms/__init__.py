"""Chat platform adapters: thin translations between the core and each platform."""
