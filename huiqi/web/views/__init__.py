"""The server-rendered pages (routers), one module per area of the portal."""
