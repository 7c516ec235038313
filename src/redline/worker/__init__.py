"""Background loops that claim stored work and call services: windows, canaries, SLAs, notifications."""
