import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, load_env_file


def test_load_env_file_sets_missing_variables_and_keeps_existing_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("LOCAUX_TEST_KEEP", "from-environment")
    monkeypatch.delenv("LOCAUX_TEST_NEW", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text('# comment\nLOCAUX_TEST_NEW="value"\nLOCAUX_TEST_KEEP=from-file\n\n')

    load_env_file(env_file)

    assert (os.environ["LOCAUX_TEST_NEW"], os.environ["LOCAUX_TEST_KEEP"]) == (
        "value",
        "from-environment",
    )
    monkeypatch.delenv("LOCAUX_TEST_NEW")


def test_load_env_file_names_the_line_that_is_not_key_value(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\nnot a setting\n")

    with pytest.raises(ImproperlyConfigured, match=r"\.env:2"):
        load_env_file(env_file)


def test_env_bool_refuses_a_value_that_is_not_a_boolean(monkeypatch):
    monkeypatch.setenv("LOCAUX_TEST_FLAG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="LOCAUX_TEST_FLAG"):
        env_bool("LOCAUX_TEST_FLAG")
