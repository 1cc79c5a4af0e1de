"""Tests against a real model served by llama.cpp's llama-server (see conftest.py)."""
