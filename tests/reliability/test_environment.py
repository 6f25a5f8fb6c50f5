"""cron's environment: nothing set, another time zone, the C locale."""

import subprocess
import sys

from .conftest import run


def bare(db, *args, tz=None):
    """`env -i`: no HOME, no TERM, no LANG; only what the command line says."""
    env = ["env", "-i"] + ([f"TZ={tz}"] if tz else []) + ["SALESFLOW_TODAY=2026-03-16"]
    return subprocess.run(
        [*env, sys.executable, "-m", "salesflow", "--db", str(db), *args],
        capture_output=True,
        cwd=db.parent,
    )


def test_nothing_due_means_zero_bytes_in_a_bare_environment(tmp_path):
    db = tmp_path / "book.db"
    for tz in (None, "Asia/Shanghai", "America/Los_Angeles", "UTC"):
        result = bare(db, "remind", tz=tz)
        assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    assert run(db, "customer", "add", "new", "--created", "2026-03-16").returncode == 0
    result = bare(db, "remind", "--kind", "never-purchased", tz="Pacific/Kiritimati")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")


def test_due_items_are_plain_utf8_text_in_a_bare_environment(tmp_path):
    db = tmp_path / "book.db"
    assert run(db, "customer", "add", "张三 [bold]", "--created", "2026-01-01").returncode == 0
    for tz in ("Asia/Shanghai", "America/Los_Angeles"):
        result = bare(db, "remind", tz=tz)
        assert result.returncode == 0 and result.stderr == b""
        text = result.stdout.decode("utf-8")
        assert text.startswith("never-contacted: 1 due\n")
        assert "张三 [bold]" in text and "\x1b" not in text
        assert "never-purchased: 1 due" in text


def test_unexpected_internal_error_is_one_line_without_data(tmp_path):
    db = tmp_path / "book.db"
    assert run(db, "customer", "add", "秘密客户", "--phone", "13800000000").returncode == 0
    script = (
        "import sys\n"
        "from salesflow import customers\n"
        "def broken(conn, **kw):\n"
        "    names = conn.execute('select name from customers').fetchall()\n"
        "    raise RuntimeError(f'boom {names}')\n"
        "customers.list_customers = broken\n"
        "from salesflow.cli import main\n"
        f"main(['--db', {str(db)!r}, 'customer', 'list'])\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: internal error (RuntimeError)")
    assert len(result.stderr.splitlines()) == 1
    assert "秘密" not in result.stderr and "Traceback" not in result.stderr
