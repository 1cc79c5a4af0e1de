"""Test support shared by every suite: the scripted Ollama server."""
