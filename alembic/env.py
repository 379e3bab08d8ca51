"""Alembic environment: the schema is SQLModel.metadata, the URL comes from settings."""

from __future__ import annotations

from logging.config import fileConfig
from pathlib import Path

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel

import ticketing.models  # noqa: F401  (registers every table)
from ticketing.db import get_engine
from ticketing.settings import get_settings

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def _compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """SQLite's INTEGER is 64-bit: BIGINT in the models is no change there."""
    if context.dialect.name == "sqlite" and all(
        isinstance(t, sa.Integer) for t in (inspected_type, metadata_type)
    ):
        return False
    return None  # the default comparison


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    """procrastinate's tables (the job queue, applied by 0013_jobs) are not models."""
    return not (type_ == "table" and name and name.startswith("procrastinate_"))


def _url() -> str:
    url = config.attributes.get("database_url") or get_settings().database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True,
        compare_type=_compare_type, include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = get_engine(_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=_compare_type,
            include_object=_include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
