"""Schema history. Each migration runs once, in a transaction, recorded in _sqlite_migrations.

Migrations are kept in the order of their numbers. A name is the key an existing database records
it under, so a migration is never renamed or renumbered; 0005 was reserved by a branch that
never landed. A new migration takes the next free number and goes at the end of this file.
"""

from sqlite_utils import Database, Migrations

from .districts import DISTRICTS

migrations = Migrations("happy_rivers")


@migrations(name="0001_initial")
def initial(db: Database) -> None:
    db["districts"].create(
        {"code": str, "name": str, "kind": str, "sort_order": int}, pk="code", not_null={"name"}
    )
    db["districts"].create_index(["name"], unique=True)
    db["districts"].insert_all(
        {"code": code, "name": name, "kind": kind, "sort_order": i}
        for i, (code, name, kind) in enumerate(DISTRICTS)
    )

    db["users"].create(
        {
            "id": int,
            "username": str,
            "display_name": str,
            "password_hash": str,
            "role": str,  # inspector | reviewer | admin
            "district_code": str,  # required for inspectors only
            "active": int,
            "created_at": str,
        },
        pk="id",
        not_null={"username", "password_hash", "role", "active"},
        foreign_keys=[("district_code", "districts", "code")],
    )
    db["users"].create_index(["username"], unique=True)

    db["api_tokens"].create(
        {
            "id": int,
            "user_id": int,
            "name": str,
            "token_hash": str,  # sha256 of the token; the token itself is shown once
            "created_at": str,
            "last_used_at": str,
            "revoked": int,
        },
        pk="id",
        not_null={"user_id", "token_hash"},
        foreign_keys=[("user_id", "users", "id")],
    )
    db["api_tokens"].create_index(["token_hash"], unique=True)

    db["waterbodies"].create(
        {
            "id": int,
            "name": str,
            "kind": str,  # river | reservoir
            "district_code": str,  # lead district
            "level": str,  # 市级 / 区县级 / 乡镇级 river chief level
            "length_km": float,
            "area_km2": float,
            "river_chief": str,
            "status": str,  # planned | building | accepted | revoked
            "accepted_on": str,
            "revoked_on": str,
            "is_demo": int,
            "created_at": str,
        },
        pk="id",
        not_null={"name", "kind", "district_code", "status"},
        foreign_keys=[("district_code", "districts", "code")],
    )
    db["waterbodies"].create_index(["district_code"])
    db["waterbodies"].create_index(["name", "district_code"], unique=True)

    db["assessments"].create(
        {
            "id": int,
            "waterbody_id": int,
            "kind": str,  # self | acceptance | recheck
            "rubric_id": str,
            "rubric_version": str,
            "answers": str,  # the answers JSON of docs/scoring.md, as typed (drafts may be partial)
            "result": str,  # scoring result JSON, null while the answers are incomplete
            "total_cents": int,  # total × 100: exact sums for leaderboards without floats
            "computed_decision": str,
            "decision": str,  # the reviewer's decision once decided
            "status": str,  # draft | submitted | returned | accepted | conditional | rejected
            "inspector_id": int,
            "reviewer_id": int,
            "return_comment": str,
            "field_comments": str,  # JSON {field: comment} from the reviewer who returned it
            "override_reason": str,
            "created_at": str,
            "updated_at": str,
            "submitted_at": str,
            "decided_on": str,
            "version": int,  # optimistic locking: bumped on every write
        },
        pk="id",
        not_null={"waterbody_id", "kind", "rubric_id", "rubric_version", "status", "version"},
        foreign_keys=[
            ("waterbody_id", "waterbodies", "id"),
            ("inspector_id", "users", "id"),
            ("reviewer_id", "users", "id"),
        ],
    )
    db["assessments"].create_index(["waterbody_id", "status"])
    db["assessments"].create_index(["status", "decided_on"])
    # At most one open (not yet decided) assessment per waterbody and kind: the database
    # enforces it, so two racing "new assessment" clicks cannot both succeed.
    db.execute(
        "CREATE UNIQUE INDEX idx_assessments_one_open ON assessments (waterbody_id, kind) "
        "WHERE status IN ('draft', 'submitted', 'returned')"
    )

    db["attachments"].create(
        {
            "id": int,
            "assessment_id": int,
            "indicator": str,
            "filename": str,
            "stored_name": str,
            "sha256": str,
            "content_type": str,
            "size": int,
            "uploaded_by": int,
            "created_at": str,
        },
        pk="id",
        not_null={"assessment_id", "stored_name", "sha256", "size"},
        foreign_keys=[("assessment_id", "assessments", "id"), ("uploaded_by", "users", "id")],
    )
    db["attachments"].create_index(["assessment_id"])

    db["audit_log"].create(
        {
            "id": int,
            "at": str,
            "user_id": int,
            "username": str,
            "ip": str,
            "action": str,
            "entity": str,
            "entity_id": str,
            "before": str,
            "after": str,
        },
        pk="id",
        not_null={"at", "action"},
    )
    db["audit_log"].create_index(["entity", "entity_id"])
    db["audit_log"].create_index(["at"])
    # Append-only: the database itself refuses to change or delete history.
    db.execute(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    )


@migrations(name="0002_standings_version")
def standings_version(db: Database) -> None:
    # One counter, bumped in the same transaction as every write that changes standings.
    # Each worker process caches standings keyed by it, so a decision shows at once in every
    # worker without cross-process messaging.
    db["standings_state"].create({"id": int, "version": int}, pk="id")
    db["standings_state"].insert({"id": 1, "version": 1})


@migrations(name="0003_covering_indexes")
def covering_indexes(db: Database) -> None:
    # At city scale (20,000 assessments) each row carries ~8 KB of answers and result JSON, which
    # SQLite stores in overflow pages *before* status, decided_on and total_cents. Any query
    # that reads those columns from the table walks the overflow chain of every row it looks
    # at: the waterbody leaderboard's "latest decision per waterbody" took 6 s cold. These
    # indexes hold every column the standings queries read, so they never touch the table
    # rows except to fetch the result JSON of the rows they return.
    #
    # latest decision per waterbody: seek (waterbody_id, status), read decided_on from the index
    db.execute("DROP INDEX IF EXISTS idx_assessments_waterbody_id_status")
    db.execute(
        "CREATE INDEX idx_assessments_waterbody_status_decided "
        "ON assessments (waterbody_id, status, decided_on)"
    )
    # title history and in-review counts: by status, with the date, kind, waterbody and total
    db.execute("DROP INDEX IF EXISTS idx_assessments_status_decided_on")
    db.execute(
        "CREATE INDEX idx_assessments_status_decided_covering "
        "ON assessments (status, decided_on, kind, waterbody_id, total_cents)"
    )


@migrations(name="0004_sessions_and_login_throttle")
def sessions_and_login_throttle(db: Database) -> None:
    # Sign-in throttling: one row per (scope, key), counted and decided in the same
    # BEGIN IMMEDIATE transaction before the password hash is checked (store/throttle.py).
    db["login_throttle"].create(
        {
            "scope": str,  # account (the username typed, from one address) | address
            "key": str,
            "failures": int,
            "first_failure_at": str,
            "last_failure_at": str,
            "blocked_until": str,
        },
        pk=("scope", "key"),
        not_null={"failures"},
    )
    # Server-side sessions: the signed cookie carries a random id whose hash must be here, so
    # signing out, deactivation and a password change end a session everywhere at once.
    db["sessions"].create(
        {
            "id": str,  # sha256 of the random id in the cookie; the id itself is never stored
            "user_id": int,
            "created_at": str,
            "ip": str,
        },
        pk="id",
        not_null={"user_id", "created_at"},
        foreign_keys=[("user_id", "users", "id")],
    )
    db["sessions"].create_index(["user_id"])
    # An administrator's reset: the user must choose a new password at the next sign-in.
    db["users"].add_column("must_change_password", int, not_null_default=0)
    # Usernames are unique without regard to (ASCII) case, like the look-ups.
    clashes = [
        row[0]
        for row in db.execute(
            "SELECT group_concat(username, ' / ') FROM users "
            "GROUP BY username COLLATE NOCASE HAVING count(*) > 1"
        ).fetchall()
    ]
    if clashes:
        raise RuntimeError(
            "usernames that differ only in case must be renamed before upgrading: "
            + "; ".join(clashes)
        )
    db.execute("CREATE UNIQUE INDEX idx_users_username_nocase ON users (username COLLATE NOCASE)")


@migrations(name="0006_idempotency_keys")
def idempotency_keys(db: Database) -> None:
    # A client-made key per operation (create, save, submit, upload), applied at most once per
    # user. The row is written in the same transaction as the effect, so a retried or
    # duplicated request finds it and gets the first answer back instead of a second effect.
    db["idempotency_keys"].create(
        {
            "user_id": int,
            "key": str,  # a UUID, lower case
            "fingerprint": str,  # method + path + hash of the meaningful body
            "status": int,  # the first answer, replayed as it was
            "location": str,
            "body": str,
            "created_at": str,
        },
        pk=("user_id", "key"),
        not_null={"fingerprint", "status", "created_at"},
        foreign_keys=[("user_id", "users", "id")],
    )
    # the purge of old keys walks this index instead of the table
    db["idempotency_keys"].create_index(["created_at"])


@migrations(name="0007_attachment_exif")
def attachment_exif(db: Database) -> None:
    """Where and when a field photo was taken, as its EXIF said (read on the phone before the
    photo was compressed, which drops EXIF), kept beside created_at (the server's receive time).
    taken_at is the camera's local time as written (EXIF has no zone); has_exif = 0 marks a
    photo that carried none (from the gallery, a screenshot, an edited copy); NULL for PDFs and
    for uploads made before this column existed."""
    db["attachments"].add_column("taken_at", str)
    db["attachments"].add_column("latitude", float)
    db["attachments"].add_column("longitude", float)
    db["attachments"].add_column("has_exif", int)


@migrations(name="0008_expert_panels")
def expert_panels(db: Database) -> None:
    # One panel (专家组) per assessment, named by a reviewer once it is submitted; closed_* is
    # set when the reviewer goes ahead with only some of the experts (at least two).
    db["panels"].create(
        {
            "assessment_id": int,
            "named_by": int,
            "named_at": str,
            "closed_by": int,
            "closed_at": str,
            "close_reason": str,
        },
        pk="assessment_id",
        not_null={"named_by", "named_at"},
        foreign_keys=[
            ("assessment_id", "assessments", "id"),
            ("named_by", "users", "id"),
            ("closed_by", "users", "id"),
        ],
    )
    # Each named expert's own answers of the panel indicators ({code: {"points", "note"}}), a
    # draft until submitted_at is set. `position` is the order of naming: 专家1…n to inspectors.
    db["panel_experts"].create(
        {
            "id": int,
            "assessment_id": int,
            "expert_id": int,
            "position": int,
            "answers": str,
            "saved_at": str,
            "submitted_at": str,
        },
        pk="id",
        not_null={"assessment_id", "expert_id", "position", "answers"},
        foreign_keys=[("assessment_id", "panels", "assessment_id"), ("expert_id", "users", "id")],
    )
    db["panel_experts"].create_index(["assessment_id", "expert_id"], unique=True)
    db["panel_experts"].create_index(["assessment_id", "position"], unique=True)
    # an expert's queue: the panels they are named on
    db["panel_experts"].create_index(["expert_id", "submitted_at"])


@migrations(name="0009_waterbody_registry")
def waterbody_registry(db: Database) -> None:
    from .pinyin import initials, spelled

    # A WGS-84 point where known; the two pinyin forms of the name, kept up to date by every
    # write in store/waterbodies.py, so a search for "houhe" or "hh" stays one LIKE in SQL.
    for column, kind in (
        ("lon", float),
        ("lat", float),
        ("name_pinyin", str),
        ("name_initials", str),
        ("updated_at", str),
    ):
        db["waterbodies"].add_column(column, kind)
    for row in list(db.query("SELECT id, name FROM waterbodies")):
        db.execute(
            "UPDATE waterbodies SET name_pinyin = ?, name_initials = ? WHERE id = ?",
            [spelled(row["name"]), initials(row["name"]), row["id"]],
        )
    db["waterbodies"].create_index(["name_pinyin"])
    db["waterbodies"].create_index(["name_initials"])
    # The other districts a cross-boundary river runs through: their inspectors read it, the
    # lead district (waterbodies.district_code) works on it.
    db["waterbody_districts"].create(
        {"waterbody_id": int, "district_code": str},
        pk=("waterbody_id", "district_code"),
        foreign_keys=[
            ("waterbody_id", "waterbodies", "id"),
            ("district_code", "districts", "code"),
        ],
    )
    db["waterbody_districts"].create_index(["district_code"])


@migrations(name="0010_publicity")
def publicity(db: Database) -> None:
    # The day an accepting assessment made its waterbody a 市级幸福河湖: the decision date where
    # 公示 is off, the naming date of its batch where it is on (NULL while the notice is
    # pending). store/titles.py reads it. Titles granted so far were granted on the decision.
    db["assessments"].add_column("titled_on", str)
    db.execute("UPDATE assessments SET titled_on = decided_on WHERE status = 'accepted'")
    # 公示 batches: the notice's first day, how many working days, the last day as counted
    # when it was published (a later calendar update must not move a published date), the
    # contact line printed with it; named_on once named.
    db["publicity_batches"].create(
        {
            "id": int,
            "starts_on": str,
            "working_days": int,
            "ends_on": str,
            "contact": str,
            "created_by": int,
            "created_at": str,
            "named_on": str,
            "named_by": int,
            "named_at": str,
        },
        pk="id",
        not_null={"starts_on", "working_days", "ends_on", "contact", "created_at"},
        foreign_keys=[("created_by", "users", "id"), ("named_by", "users", "id")],
    )
    # outcome: listed → named | removed (with the reason)
    db["publicity_items"].create(
        {
            "batch_id": int,
            "assessment_id": int,
            "waterbody_id": int,
            "outcome": str,
            "reason": str,
        },
        pk=("batch_id", "assessment_id"),
        not_null={"outcome"},
        foreign_keys=[
            ("batch_id", "publicity_batches", "id"),
            ("assessment_id", "assessments", "id"),
            ("waterbody_id", "waterbodies", "id"),
        ],
    )
    # an assessment is in at most one batch that has not removed it: two admins listing the
    # same one at once cannot both succeed
    db.execute(
        "CREATE UNIQUE INDEX idx_publicity_items_live ON publicity_items (assessment_id) "
        "WHERE outcome != 'removed'"
    )
    db["publicity_objections"].create(
        {
            "id": int,
            "batch_id": int,
            "assessment_id": int,  # the item it is about, when it names one
            "received_on": str,
            "channel": str,
            "content": str,
            "resolution": str,
            "resolved_on": str,
            "recorded_by": int,
            "created_at": str,
        },
        pk="id",
        not_null={"batch_id", "received_on", "channel", "content", "created_at"},
        foreign_keys=[
            ("batch_id", "publicity_batches", "id"),
            ("assessment_id", "assessments", "id"),
            ("recorded_by", "users", "id"),
        ],
    )
    db["publicity_objections"].create_index(["batch_id"])


@migrations(name="0011_notifications")
def notifications(db: Database) -> None:
    # The in-app inbox: one row per recipient, written in the transaction of the event that
    # causes it (a return, a decision, a submission, a panel naming, a notice ending). `kind`
    # picks the message text (store/notifications.py TEXTS) and `params` (JSON) fills it, so
    # the text is translated when shown, not frozen in the language of the moment.
    # `dedupe` (optional) makes an event that may be reported more than once (a notice ending,
    # a deadline coming due) reach each recipient once: unique per user.
    db["notifications"].create(
        {
            "id": int,
            "user_id": int,
            "kind": str,
            "params": str,
            "assessment_id": int,
            "waterbody_id": int,
            "dedupe": str,
            "created_at": str,
            "read_at": str,
        },
        pk="id",
        not_null={"user_id", "kind", "params", "created_at"},
        foreign_keys=[
            ("user_id", "users", "id"),
            ("assessment_id", "assessments", "id"),
            ("waterbody_id", "waterbodies", "id"),
        ],
    )
    # the inbox, newest first, and the header's unread count: both one index range
    db["notifications"].create_index(["user_id", "read_at", "id"])
    db["notifications"].create_index(["user_id", "id"])
    db.execute(
        "CREATE UNIQUE INDEX idx_notifications_dedupe ON notifications (user_id, dedupe) "
        "WHERE dedupe IS NOT NULL"
    )
    # optional e-mail copies of the notifications (sent only when SMTP is configured)
    db["users"].add_column("email", str)


@migrations(name="0012_surveys")
def surveys(db: Database) -> None:
    # A satisfaction survey (A20) of one waterbody: `token` is the random part of the public
    # link on its QR sign; rate (a decimal as text) and sample_size are kept when it closes.
    db["surveys"].create(
        {
            "id": int,
            "waterbody_id": int,
            "token": str,
            "opens_on": str,
            "closes_on": str,
            "status": str,  # open | closed
            "created_by": int,
            "created_at": str,
            "closed_by": int,
            "closed_at": str,
            "sample_size": int,
            "rate": str,
        },
        pk="id",
        not_null={"waterbody_id", "token", "opens_on", "closes_on", "status", "created_at"},
        foreign_keys=[
            ("waterbody_id", "waterbodies", "id"),
            ("created_by", "users", "id"),
            ("closed_by", "users", "id"),
        ],
    )
    db["surveys"].create_index(["token"], unique=True)
    db["surveys"].create_index(["waterbody_id", "status"])
    # one open survey per waterbody, whatever races two administrators run
    db.execute(
        "CREATE UNIQUE INDEX idx_surveys_one_open ON surveys (waterbody_id) WHERE status = 'open'"
    )
    # The valid responses. device and address are keyed hashes (store/surveys.py), never the
    # cookie or the IP address itself.
    db["survey_responses"].create(
        {
            "id": int,
            "survey_id": int,
            "overall": str,
            "visits": str,
            "comment": str,
            "device": str,
            "address": str,
            "seconds": int,
            "created_at": str,
        },
        pk="id",
        not_null={"survey_id", "overall", "device", "address", "created_at"},
        foreign_keys=[("survey_id", "surveys", "id")],
    )
    db["survey_responses"].create_index(["survey_id", "device"], unique=True)
    db["survey_responses"].create_index(["survey_id", "address", "created_at"])
    # Where an assessment's survey answer (A20) came from: the closed survey that pre-filled it
    # and, when the inspector changed the survey's values, their note saying why.
    db["survey_notes"].create(
        {
            "assessment_id": int,
            "indicator": str,
            "survey_id": int,
            "edited": int,  # 1 when the answer differs from the survey's rate or sample size
            "note": str,
            "user_id": int,
            "updated_at": str,
        },
        pk=("assessment_id", "indicator"),
        not_null={"survey_id", "edited", "updated_at"},
        foreign_keys=[
            ("assessment_id", "assessments", "id"),
            ("survey_id", "surveys", "id"),
            ("user_id", "users", "id"),
        ],
    )
    # Refused responses, counted per reason (scoring.survey.REFUSALS): never silently dropped.
    db["survey_refusals"].create(
        {"survey_id": int, "reason": str, "count": int},
        pk=("survey_id", "reason"),
        not_null={"count"},
        foreign_keys=[("survey_id", "surveys", "id")],
    )


@migrations(name="0013_incremental_standings")
def incremental_standings(db: Database) -> None:
    # What a decision changes, kept up to date by the decision's own transaction
    # (store/standings.py), so that the first board view after it reads a page and 41
    # districts' sums instead of recomputing every waterbody's latest decision (0.4 s at ten
    # times the city): each waterbody's latest decided assessment, with its kind, district,
    # total and dimension scores in cents ({code: cents})…
    db.execute(
        "CREATE TABLE standings_waterbodies ("
        " waterbody_id INTEGER PRIMARY KEY REFERENCES waterbodies(id),"
        " kind TEXT NOT NULL, district_code TEXT NOT NULL,"
        " assessment_id INTEGER NOT NULL REFERENCES assessments(id),"
        " decided_on TEXT, status TEXT NOT NULL, total_cents INTEGER, dimensions TEXT)"
    )
    # in the board's order (total highest first, then by id), so that a page is read in
    # order rather than every row sorted (equal totals are common)
    db.execute(
        "CREATE INDEX idx_standings_waterbodies_total "
        "ON standings_waterbodies (total_cents DESC, waterbody_id)"
    )
    db.execute(
        "CREATE INDEX idx_standings_waterbodies_kind_total "
        "ON standings_waterbodies (kind, total_cents DESC, waterbody_id)"
    )
    db.execute(
        "CREATE INDEX idx_standings_waterbodies_district ON standings_waterbodies (district_code)"
    )
    # …and per district, kind and dimension, the sum and count of those scores (the dimension
    # leaders are the highest means)
    db.execute(
        "CREATE TABLE standings_district_dimensions ("
        " district_code TEXT NOT NULL, kind TEXT NOT NULL, dimension TEXT NOT NULL,"
        " sum_cents INTEGER NOT NULL, n INTEGER NOT NULL,"
        " PRIMARY KEY (district_code, kind, dimension))"
    )
    # A second counter for the title history alone: most writes (a submit, a decision that
    # grants or revokes nothing) leave every title as it was, and what is derived from titles
    # (progress, charts, the map, the districts' counts) then stays cached.
    db["standings_state"].add_column("titles_version", int, not_null_default=1)
    from .standings import rebuild

    rebuild(db)


@migrations(name="0014_broadcasts")
def broadcasts(db: Database) -> None:
    # A notification for everyone holding a role (a submission: every reviewer), written once
    # by the event's transaction instead of once per recipient — a hundred reviewers made a
    # submit write a hundred rows. Each user's inbox takes the ones it has not had yet when it
    # is read (store/notifications.py deliver), as its own notification rows, so that reading
    # and marking read stay per user. `actor_id`: the one who caused it is not told.
    db.execute(
        "CREATE TABLE broadcasts ("
        " id INTEGER PRIMARY KEY, role TEXT NOT NULL, kind TEXT NOT NULL, params TEXT NOT NULL,"
        " assessment_id INTEGER REFERENCES assessments(id),"
        " waterbody_id INTEGER REFERENCES waterbodies(id),"
        " actor_id INTEGER REFERENCES users(id), created_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX idx_broadcasts_role_id ON broadcasts (role, id)")
    # the last broadcast to the user's role that their inbox has taken (new users and users
    # given a new role start at the latest: they hear of what happens from then on)
    db["users"].add_column("broadcasts_seen", int, not_null_default=0)


@migrations(name="0015_kept_review_counts")
def kept_review_counts(db: Database) -> None:
    # The boards' other per-district figure, the assessments under review, kept per district
    # and waterbody kind by triggers rather than counted over every submitted assessment on the
    # first view after each submit or decision (3 ms at ten times the city). Triggers, not the
    # store's write functions, because every path that moves an assessment into or out of
    # "submitted" (a submit, a decision, a return, a bulk load) or a waterbody to another
    # district or kind must keep it, and SQLite then cannot miss one.
    db.execute(
        "CREATE TABLE standings_in_review ("
        " district_code TEXT NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL,"
        " PRIMARY KEY (district_code, kind))"
    )
    add_one = (
        "INSERT INTO standings_in_review (district_code, kind, n) "
        "SELECT district_code, kind, 1 FROM waterbodies WHERE id = NEW.waterbody_id{also} "
        "ON CONFLICT (district_code, kind) DO UPDATE SET n = n + 1;"
    )
    take_one = (
        "UPDATE standings_in_review SET n = n - 1 WHERE (district_code, kind) = "
        "(SELECT district_code, kind FROM waterbodies WHERE id = OLD.waterbody_id){also};"
    )
    db.execute(
        "CREATE TRIGGER standings_in_review_insert AFTER INSERT ON assessments "
        f"WHEN NEW.status = 'submitted' BEGIN {add_one.format(also='')} END"
    )
    db.execute(
        "CREATE TRIGGER standings_in_review_delete AFTER DELETE ON assessments "
        f"WHEN OLD.status = 'submitted' BEGIN {take_one.format(also='')} END"
    )
    db.execute(
        "CREATE TRIGGER standings_in_review_update AFTER UPDATE OF status, waterbody_id "
        "ON assessments WHEN (OLD.status = 'submitted' OR NEW.status = 'submitted') "
        "AND (OLD.status IS NOT NEW.status OR OLD.waterbody_id IS NOT NEW.waterbody_id) BEGIN "
        + take_one.format(also=" AND OLD.status = 'submitted'")
        + " "
        + add_one.format(also=" AND NEW.status = 'submitted'")
        + " END"
    )
    db.execute(
        "CREATE TRIGGER standings_in_review_move AFTER UPDATE OF district_code, kind "
        "ON waterbodies WHEN OLD.district_code IS NOT NEW.district_code OR OLD.kind IS NOT "
        "NEW.kind BEGIN "
        "UPDATE standings_in_review SET n = n - (SELECT count(*) FROM assessments "
        "WHERE waterbody_id = OLD.id AND status = 'submitted') "
        "WHERE district_code = OLD.district_code AND kind = OLD.kind; "
        "INSERT INTO standings_in_review (district_code, kind, n) "
        "SELECT NEW.district_code, NEW.kind, count(*) FROM assessments "
        "WHERE waterbody_id = NEW.id AND status = 'submitted' "
        "ON CONFLICT (district_code, kind) DO UPDATE SET n = n + excluded.n; END"
    )
    # whether a view of a past date can read the kept rows: the latest kept decision and the
    # undated ones, found in the index rather than by reading every kept row (1 ms at 10×)
    db.execute(
        "CREATE INDEX idx_standings_waterbodies_decided ON standings_waterbodies (decided_on)"
    )
    from .standings import rebuild_in_review

    rebuild_in_review(db)


@migrations(name="0016_title_events_index")
def title_events_index(db: Database) -> None:
    # The title history (store/titles.py EVENTS_SQL: acceptances by their title date, recheck
    # rejections by their decision date) read from one covering index. `titled_on` came with a
    # later migration and so sits at the end of each ~6 KB row, behind its overflow pages:
    # reading it from the rows cost 70–100 ms at ten times the city after every title change,
    # from this index 20 ms.
    db.execute(
        "CREATE INDEX idx_assessments_title_events "
        "ON assessments (status, kind, titled_on, decided_on, waterbody_id, total_cents)"
    )
