"""SQLAlchemy: ORM models with a relationship on in-memory SQLite, queries and Core SQL."""
# dists: sqlalchemy, greenlet
from sqlalchemy import ForeignKey, create_engine, func, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    books: Mapped[list["Book"]] = relationship(back_populates="author")


class Book(Base):
    __tablename__ = "book"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id"))
    author: Mapped[Author] = relationship(back_populates="books")


engine = create_engine("sqlite://")
Base.metadata.create_all(engine)
with Session(engine) as s:
    s.add_all([Author(name="Le Guin", books=[Book(title="Earthsea"), Book(title="Lathe")]),
               Author(name="Banks", books=[Book(title="Excession")])])
    s.commit()
    rows = s.execute(select(Author.name, func.count(Book.id)).join(Author.books)
                     .group_by(Author.name).order_by(Author.name)).all()
    print(rows)
    print([b.title for b in s.scalars(select(Book).where(Book.title.like("E%")).order_by(Book.title))])
    print(s.execute(text("select sqlite_version() is not null")).scalar())
print(select(Book.title).where(Book.id > 1))
