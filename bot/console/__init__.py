"""The staff console: a small aiohttp web application (issue 6). See app.py."""
