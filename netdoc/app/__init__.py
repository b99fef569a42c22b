"""The application around the stages: the command line, the runner that sequences
the stages for each client, the daemon and service installation, status and alerts."""
