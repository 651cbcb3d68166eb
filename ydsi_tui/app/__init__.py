"""The Textual app. Nothing here is imported by the CLI until the app is opened."""
