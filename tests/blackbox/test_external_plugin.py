"""A third-party plugin builds against the installed headers alone (via
pkg-config, no source tree) and runs in an installed worker."""

import os
import subprocess

from harness import (BUILD_DIR, SOURCE_DIR, consume_all, connector,
                     topic_record_count, wait_until)


def run(argv, **kwargs):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300,
                          **kwargs)
    assert proc.returncode == 0, \
        f"{argv} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_out_of_tree_plugin(tmp_path, mock_cluster, worker):
    prefix = tmp_path / "prefix"
    run(["cmake", "--install", str(BUILD_DIR), "--prefix", str(prefix)])
    pcs = list(prefix.rglob("rdconnect-plugin.pc"))
    assert len(pcs) == 1, f"installed pkg-config files: {pcs}"
    assert (prefix / "include" / "rdconnect" / "plugin.h").is_file()
    installed_plugins = pcs[0].parent.parent / "rdconnect" / "plugins"
    assert (installed_plugins / "file-source.so").is_file()

    plugin_dir = tmp_path / "third-party"
    plugin_dir.mkdir()
    env = dict(os.environ, PKG_CONFIG_PATH=str(pcs[0].parent))
    flags = run(["pkg-config", "--cflags", "rdconnect-plugin"],
                env=env).stdout
    includes = [os.path.realpath(f[2:]) for f in flags.split()
                if f.startswith("-I")]
    assert includes == [os.path.realpath(prefix / "include")], flags
    run([str(SOURCE_DIR / "tests" / "external-plugin" / "build.sh"),
         str(plugin_dir / "counter-source.so")], env=env)

    mock_cluster.create_topic("counted", 1)
    w = worker([connector("counter", "CounterSource",
                          {"topic": "counted", "count": "25",
                           "message": "tick"})],
               {"plugin.path": str(plugin_dir)})
    assert wait_until(lambda: topic_record_count(
        mock_cluster.bootstrap, "counted") >= 25, timeout=60), w.log_text()
    values = [v for _k, v, _h in consume_all(mock_cluster.bootstrap,
                                             "counted")]
    assert values == [f"tick {n}".encode() for n in range(1, 26)]
    assert w.stop() == 0

    # Offsets: a restart resumes after the last acknowledged number.
    w.restart()
    w.wait_for_log(r"counting from 26 to 25", timeout=30)
    assert topic_record_count(mock_cluster.bootstrap, "counted") == 25
    assert w.stop() == 0
