"""salesflow: a command-line CRM for a salesperson who works in the terminal."""

__version__ = "0.1.0"
