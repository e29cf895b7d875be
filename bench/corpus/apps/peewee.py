"""peewee: models, joins and aggregates on in-memory SQLite."""
# dists: peewee
from peewee import CharField, ForeignKeyField, IntegerField, Model, SqliteDatabase, fn

db = SqliteDatabase(":memory:")


class Team(Model):
    name = CharField()

    class Meta:
        database = db


class Player(Model):
    name = CharField()
    goals = IntegerField()
    team = ForeignKeyField(Team, backref="players")

    class Meta:
        database = db


db.create_tables([Team, Player])
red, blue = Team.create(name="red"), Team.create(name="blue")
for n, g, t in [("a", 3, red), ("b", 5, red), ("c", 2, blue)]:
    Player.create(name=n, goals=g, team=t)
q = (Team.select(Team.name, fn.SUM(Player.goals).alias("total")).join(Player)
     .group_by(Team.name).order_by(Team.name))
print([(t.name, t.total) for t in q])
print([p.name for p in Player.select().where(Player.goals > 2).order_by(Player.name)])
print(Player.select().where(Player.name == "a").sql())
