# FastAPI + SQLAlchemy on SQLite: a list endpoint that lazy-loads a relationship, and its fix.
from fastapi import FastAPI
from sqlalchemy import ForeignKey, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, selectinload
from sqlalchemy.pool import StaticPool

engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    books: Mapped[list["Book"]] = relationship(back_populates="author")


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(back_populates="books")


def seed(authors: int = 6) -> None:
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        for i in range(authors):
            session.add(Author(name=f"a{i}", books=[Book(title=f"b{i}-{j}") for j in range(2)]))
        session.commit()


app = FastAPI()


@app.get("/authors")
async def list_authors():
    with Session(engine) as session:
        authors = session.scalars(select(Author).order_by(Author.id)).all()
        return [{"name": a.name, "books": [b.title for b in a.books]} for a in authors]  # N+1 HERE


@app.get("/authors-eager")
async def list_authors_eager():
    with Session(engine) as session:
        authors = session.scalars(select(Author).options(selectinload(Author.books)).order_by(Author.id)).all()
        return [{"name": a.name, "books": [b.title for b in a.books]} for a in authors]


@app.get("/authors-sync")
def list_authors_sync():  # a sync endpoint: FastAPI runs it in a threadpool thread
    with Session(engine) as session:
        authors = session.scalars(select(Author).order_by(Author.id)).all()
        return [{"name": a.name, "books": [b.title for b in a.books]} for a in authors]  # SYNC N+1 HERE
