"""The built-in checks, installed as `auditor.checks`. One module per service or concern."""
