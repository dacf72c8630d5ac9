"""What the runtime could not see, said once and briefly.

- `short(exc_or_text)`: one line, capped (a Resolver404 carries the whole URLconf; an exception
  text must never bloat the report or the terminal).
- `uncaptured_drivers()` / `uncaptured_clients()`: database drivers and test clients imported in
  this process that the capture does not hook, so a gate never says `passed` on evidence it
  could not have seen. Checked at the end of the session (plain `sys.modules` look-ups).
"""

from __future__ import annotations

import sys

MAX_TEXT = 160

# import name -> what users call it
DRIVERS: dict[str, str] = {
    "aiomysql": "aiomysql",
    "asyncmy": "asyncmy",
    "pymysql": "PyMySQL",
    "MySQLdb": "mysqlclient (MySQLdb)",
    "mysql.connector": "mysql-connector-python",
    "oracledb": "python-oracledb",
    "cx_Oracle": "cx_Oracle",
    "pymssql": "pymssql",
    "pyodbc": "pyodbc",
    "duckdb": "duckdb",
    "clickhouse_driver": "clickhouse-driver",
}
CLIENTS: dict[str, str] = {  # httpx/requests/aiohttp/WebTest based clients are captured
    "falcon.testing": "Falcon's test client",
    "tornado.testing": "Tornado's test client",
    "sanic_testing": "Sanic's test client",
    "pyramid.testing": "Pyramid's testing helpers",
    "quart.testing": "Quart's test client",
}


def short(value: object, limit: int = MAX_TEXT) -> str:
    """One line of at most `limit` characters: `Type: first line of the text`."""
    if isinstance(value, BaseException):
        text = f"{type(value).__name__}: {value}"
    else:
        text = str(value)
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def uncaptured_drivers() -> list[str]:
    return sorted(label for name, label in DRIVERS.items() if name in sys.modules)


def uncaptured_clients() -> list[str]:
    return sorted(label for name, label in CLIENTS.items() if name in sys.modules)
