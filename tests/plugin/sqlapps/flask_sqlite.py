# Flask + sqlite3: a list endpoint that queries each author's books in a loop, and its fix.
import sqlite3

from flask import Flask, jsonify

DB = "shop.db"
app = Flask(__name__)


def connect():
    return sqlite3.connect(DB)


def seed(authors: int = 6) -> None:
    conn = connect()
    conn.execute("DROP TABLE IF EXISTS books")
    conn.execute("DROP TABLE IF EXISTS authors")
    conn.execute("CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT, author_id INTEGER)")
    conn.executemany("INSERT INTO authors (id, name) VALUES (?, ?)", [(i, f"a{i}") for i in range(authors)])
    conn.executemany(
        "INSERT INTO books (title, author_id) VALUES (?, ?)", [(f"b{i}-{j}", i) for i in range(authors) for j in range(2)]
    )
    conn.commit()
    conn.close()


@app.get("/authors")
def list_authors():
    conn = connect()
    out = []
    for author_id, name in conn.execute("SELECT id, name FROM authors ORDER BY id").fetchall():
        rows = conn.execute("SELECT title FROM books WHERE author_id = ?", (author_id,)).fetchall()  # N+1 HERE
        out.append({"name": name, "books": [r[0] for r in rows]})
    conn.close()
    return jsonify(out)


@app.get("/authors-joined")
def list_authors_joined():
    conn = connect()
    books: dict[int, list[str]] = {}
    authors = conn.execute("SELECT id, name FROM authors ORDER BY id").fetchall()
    ids = [a[0] for a in authors]
    marks = ",".join("?" * len(ids))
    for author_id, title in conn.execute(f"SELECT author_id, title FROM books WHERE author_id IN ({marks})", ids):
        books.setdefault(author_id, []).append(title)
    conn.close()
    return jsonify([{"name": name, "books": books.get(i, [])} for i, name in authors])
