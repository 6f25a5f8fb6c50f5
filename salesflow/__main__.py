from salesflow.cli import run

run()
