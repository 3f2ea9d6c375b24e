"""Phrases: notes, reasons and messages stored as phrase keys with parameters and own text with
its language; interpreters; more reasons for "I can't come"

The text written so far moves into the new JSON columns as own text in Dutch (the language
staff wrote it in), with the writer's role for the reader's label; a message's template key
becomes its phrase.

Revision ID: 0008phrases
Revises: 0007pageversion
Create Date: 2026-12-07 12:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008phrases'
down_revision = '0007pageversion'
branch_labels = None
depends_on = None

OLD_REASONS = ('sick', 'work', 'other')
NEW_REASONS = ('sick', 'child_ill', 'doctor', 'authority', 'no_transport', 'work', 'forgot', 'other')
WRITER_ROLES = {'coach': 'coach', 'buddy': 'buddy', 'participant': 'participant'}


def _reason_enum(values):
    return sa.Enum(*values, name='declinereason', native_enum=False, create_constraint=True, length=32)


def _own(text, by):
    if not text:
        return {}
    data = {'phrases': [], 'text': text, 'lang': 'nl'}
    if by:
        data['by'] = by
    return data


def _move_text(connection, table_name, columns, organiser_column):
    """Copy each text column into its JSON twin `<column>_words` as own Dutch text."""
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('role', sa.String))
    table = sa.table(table_name, sa.column('id', sa.Integer), sa.column(organiser_column, sa.Integer),
                     *(sa.column(column, sa.Text) for column in columns),
                     *(sa.column(f'{column}_words', sa.JSON) for column in columns))
    roles = dict(connection.execute(sa.select(users.c.id, users.c.role)).all())
    rows = connection.execute(sa.select(table.c.id, table.c[organiser_column], *(table.c[c] for c in columns))).all()
    for row in rows:
        by = WRITER_ROLES.get(roles.get(row[1]), '')
        values = {f'{column}_words': _own((row[2 + index] or '').strip(), by) for index, column in enumerate(columns)}
        connection.execute(table.update().where(table.c.id == row[0]).values(**values))


def upgrade():
    connection = op.get_bind()
    empty = sa.text("'{}'")
    for table_name, columns in (('events', ('note', 'change_reason')), ('series', ('note',))):
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(f'{column}_words', sa.JSON(), nullable=False, server_default=empty))
            batch_op.add_column(sa.Column('interpreter_language', sa.String(length=16), nullable=True))
        # A change's reason has no writer on record; the organiser wrote the note.
        _move_text(connection, table_name, columns, 'organiser_id')
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_column(column)
                batch_op.alter_column(f'{column}_words', new_column_name=column, existing_type=sa.JSON(),
                                      existing_nullable=False, existing_server_default=empty)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wording', sa.JSON(), nullable=False, server_default=empty))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('role', sa.String))
    messages = sa.table('messages', sa.column('id', sa.Integer), sa.column('sender_id', sa.Integer),
                        sa.column('template_key', sa.String), sa.column('body', sa.Text),
                        sa.column('wording', sa.JSON))
    roles = dict(connection.execute(sa.select(users.c.id, users.c.role)).all())
    for message_id, sender_id, template_key, body in connection.execute(
            sa.select(messages.c.id, messages.c.sender_id, messages.c.template_key, messages.c.body)).all():
        by = WRITER_ROLES.get(roles.get(sender_id), '')
        if template_key:
            wording = {'phrases': [{'key': template_key, 'params': {}}]} | ({'by': by} if by else {})
        else:
            wording = _own((body or '').strip(), by)
        connection.execute(messages.update().where(messages.c.id == message_id).values(wording=wording))
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('template_key')
        batch_op.drop_column('params')
        batch_op.drop_column('body')

    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_text_lang', sa.String(length=16), nullable=False, server_default=''))
        batch_op.alter_column('reason', type_=_reason_enum(NEW_REASONS), existing_type=_reason_enum(OLD_REASONS),
                              existing_nullable=True)
    # What a participant typed was in their own language.
    attendances = sa.table('attendances', sa.column('user_id', sa.Integer), sa.column('reason_text', sa.String),
                           sa.column('reason_text_lang', sa.String))
    locales = sa.table('users', sa.column('id', sa.Integer), sa.column('locale', sa.String))
    connection.execute(attendances.update().where(attendances.c.reason_text != '').values(
        reason_text_lang=sa.func.coalesce(
            sa.select(locales.c.locale).where(locales.c.id == attendances.c.user_id).scalar_subquery(), 'nl')))


def _words_to_text(value):
    if isinstance(value, str):  # SQLite hands JSON back as text when read through a plain column
        import json
        value = json.loads(value or '{}')
    return (value or {}).get('text', '')


def downgrade():
    """Own text comes back as text; phrases are lost (they had no text of their own before)."""
    connection = op.get_bind()
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.drop_column('reason_text_lang')
    attendances = sa.table('attendances', sa.column('reason', sa.String))
    connection.execute(attendances.update().where(attendances.c.reason.notin_(OLD_REASONS)).values(reason='other'))
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.alter_column('reason', type_=_reason_enum(OLD_REASONS), existing_type=_reason_enum(NEW_REASONS),
                              existing_nullable=True)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('body', sa.Text(), nullable=False, server_default=''))
    messages = sa.table('messages', sa.column('id', sa.Integer), sa.column('template_key', sa.String),
                        sa.column('body', sa.Text), sa.column('wording', sa.JSON))
    for message_id, wording in connection.execute(sa.select(messages.c.id, messages.c.wording)).all():
        phrases = (wording or {}).get('phrases') or []
        connection.execute(messages.update().where(messages.c.id == message_id).values(
            template_key=phrases[0]['key'] if phrases else None, body=_words_to_text(wording)))
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('wording')

    for table_name, columns in (('events', ('note', 'change_reason')), ('series', ('note',))):
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(f'{column}_text', sa.Text(), nullable=False, server_default=''))
        table = sa.table(table_name, sa.column('id', sa.Integer), *(sa.column(c, sa.JSON) for c in columns),
                         *(sa.column(f'{c}_text', sa.Text) for c in columns))
        for row in connection.execute(sa.select(table.c.id, *(table.c[c] for c in columns))).all():
            connection.execute(table.update().where(table.c.id == row[0]).values(
                **{f'{c}_text': _words_to_text(row[1 + i]) for i, c in enumerate(columns)}))
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_column('interpreter_language')
            for column in columns:
                batch_op.drop_column(column)
                batch_op.alter_column(f'{column}_text', new_column_name=column, existing_type=sa.Text(),
                                      existing_nullable=False)
