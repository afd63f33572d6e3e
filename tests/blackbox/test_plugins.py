"""Plugin loading: broken plugins are rejected one by one with a reason,
good ones keep working, and a plugin added at run time is found."""

import re
import shutil
import struct

import requests

from harness import (PLUGINS_DIR, TEST_PLUGINS_DIR, TEST_PLUGINS_GOOD_DIR,
                     file_source, free_port, topic_record_count,
                     wait_until, write_lines)

PROBLEM_LINE = re.compile(r"\b(ERROR|WARN)\b")

# reason -> (regex the rejection must match, words that hint at it in a
# broken plugin's file name)
REASONS = {
    "bad magic": (r"(?i)magic", ("magic",)),
    "ABI major": (r"(?i)major", ("major",)),
    "ABI minor": (r"(?i)minor", ("minor",)),
    "struct size": (r"(?i)size", ("size", "short")),
    "no entry symbol": (r"(?i)entry|symbol", ("entry", "sym")),
    "not a shared object": (r"(?i)ELF|shared object|dlopen|too short",
                            ("notaplugin", "garbage", "notso", "elf",
                             "junk", "text")),
    "duplicate class": (r"(?i)duplicate", ("dup",)),
}


def plugin_files(directory):
    return sorted(list(directory.glob("*.so")) +
                  list(directory.glob("*/*.so")))


def hinted_reasons(path):
    name = path.name.lower()
    return [reason for reason, (_, hints) in REASONS.items()
            if any(h in name for h in hints)]


def worker_with_good_source(tmp_path, worker, mock_cluster, topic, extra_dir,
                            next_to):
    """A worker with the shipped plugins and extra_dir on plugin.path whose
    FileStreamSource moves 20 lines into topic: the good connector runs
    next to whatever extra_dir holds. Returns the worker."""
    good_file = tmp_path / "good.txt"
    write_lines(good_file, [f"line {i}" for i in range(20)])
    w = worker([file_source("good-source", good_file, topic)],
               {"plugin.path": f"{PLUGINS_DIR},{extra_dir}"})
    assert wait_until(lambda: topic_record_count(
        mock_cluster.bootstrap, topic) >= 20, timeout=60), \
        f"the good connector did not run next to {next_to}"
    return w


def test_broken_plugins_are_rejected(tmp_path, mock_cluster, worker):
    broken = plugin_files(TEST_PLUGINS_DIR)
    assert broken, f"no test plugins in {TEST_PLUGINS_DIR}"
    topic = "plugins-topic"
    mock_cluster.create_topic(topic, 1)
    # The real plugins come first, so that they win over any duplicate.
    w = worker_with_good_source(tmp_path, worker, mock_cluster, topic,
                                TEST_PLUGINS_DIR, "the broken plugins")
    problems = [line for line in w.log_text().splitlines()
                if PROBLEM_LINE.search(line)]
    for path in broken:
        named = [line for line in problems if path.name in line]
        if "duplicate class" in hinted_reasons(path) and not named:
            # The copy loaded second is the one rejected: it may be the
            # other file of the pair.
            named = [line for line in problems if ".so" in line and
                     re.search(REASONS["duplicate class"][0], line)]
        assert named, f"no ERROR/WARN line names {path.name}"
        for reason in hinted_reasons(path):
            assert any(re.search(REASONS[reason][0], line)
                       for line in named), \
                f"{path.name}: no line gives the reason ({reason}): {named}"
    for reason, (regex, _) in REASONS.items():
        assert any(re.search(regex, line) and ".so" in line
                   for line in problems), f"no plugin rejected for {reason}"
    assert w.running(), f"worker exited with {w.proc.returncode}"
    assert w.stop() == 0


def test_plugin_added_at_run_time_is_found(tmp_path, mock_cluster, worker):
    good = plugin_files(TEST_PLUGINS_GOOD_DIR)
    assert good, f"no test plugins in {TEST_PLUGINS_GOOD_DIR}"
    plugin_dir = tmp_path / "late-plugins"
    plugin_dir.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    good_file = tmp_path / "good.txt"
    write_lines(good_file, ["x"])
    w = worker([file_source("good-source", good_file, "late-topic")],
               {"plugin.path": f"{plugin_dir},{PLUGINS_DIR}",
                "listeners": url})

    def get(path):
        try:
            return requests.get(url + path, timeout=5)
        except requests.ConnectionError:
            return None

    assert wait_until(lambda: (r := get("/")) is not None and
                      r.status_code == 200, timeout=30), "REST never came up"
    body = {"name": "late-source",
            "config": {"name": "late-source", "connector.class": "TestSource",
                       "tasks.max": "1", "topic": "late-topic"}}

    def post():
        return requests.post(url + "/connectors", json=body, timeout=10)

    first = post()
    assert first.status_code in (400, 404, 500), first.text
    assert "TestSource" in first.text

    for path in good:  # rename: the worker never sees a half-written file
        partial = plugin_dir / (path.name + ".partial")
        shutil.copy(path, partial)
        partial.rename(plugin_dir / path.name)

    created = wait_until(lambda: (r := post()).status_code == 201 and r,
                         timeout=30, interval=1)
    assert created, "TestSource not found after it was added to plugin.path"

    def state():
        r = get("/connectors/late-source/status")
        return r is not None and r.status_code == 200 and \
            r.json()["connector"]["state"]

    assert wait_until(lambda: state() == "RUNNING", timeout=30), state()
    assert w.stop() == 0


def last_load_segment_middle(elf):
    """Offset in the middle of the last PT_LOAD segment of a 64-bit
    little-endian ELF file (as the build's plugins are)."""
    assert elf[:4] == b"\x7fELF" and elf[4] == 2 and elf[5] == 1
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    middles = []
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", elf, phoff + i * phentsize)
        if p_type == 1 and p_filesz > 1:  # PT_LOAD
            middles.append(p_offset + p_filesz // 2)
    assert middles, "no PT_LOAD segment"
    return max(middles)


def test_truncated_plugin_is_rejected(tmp_path, mock_cluster, worker):
    """A .so cut short (a copy interrupted, a full disk) used to kill the
    worker with SIGBUS inside dlopen, without a word. It is now rejected
    by name before dlopen, and the worker runs everything else."""
    topic = "truncated-topic"
    mock_cluster.create_topic(topic, 1)
    plugin_dir = tmp_path / "cut-plugins"
    plugin_dir.mkdir()
    data = (TEST_PLUGINS_GOOD_DIR / "test_source.so").read_bytes()
    cut = plugin_dir / "cut_source.so"
    # Cut in the middle of the last loaded segment: dlopen maps it whole
    # and the first touch past the end of the file is the SIGBUS.
    cut.write_bytes(data[:last_load_segment_middle(data)])
    w = worker_with_good_source(tmp_path, worker, mock_cluster, topic,
                                plugin_dir, "the truncated plugin")
    rejected = w.log_lines_matching(r"\bERROR\b", re.escape(str(cut)),
                                    r"(?i)truncated")
    assert rejected, f"no ERROR line names {cut} as truncated:\n" \
        f"{w.log_text()[-3000:]}"
    assert w.running(), f"worker exited with {w.proc.returncode}"
    assert w.stop() == 0
