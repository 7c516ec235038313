"""Forensics: snapshots, replay, triage reports, data blame, post-mortems and exports."""
