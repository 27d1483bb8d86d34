"""The portable C encoder (c/hinge_protocol.h) writes exactly the bytes the Python codec reads.

Compiles a small program with the system C compiler (strict C99, all warnings as errors),
feeds it the inputs of every case in vectors/hinge_open_v1.json and compares its output
with the shared hex and with the Python decoder.
"""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hinge.firmware_protocol import hinge_open as h

PKG = Path(h.__file__).parent
VECTORS = json.loads((PKG / "vectors" / "hinge_open_v1.json").read_text())["cases"]
CC = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


def _program() -> str:
    lines = ['#include <stdio.h>', '#include "hinge_protocol.h"',
             'static void hex(const char *name, const uint8_t *b, size_t n) {',
             '  size_t i; printf("%s ", name); for (i = 0; i < n; ++i) printf("%02x", b[i]); printf("\\n"); }',
             'int main(void) {', '  uint8_t buf[HINGE_MAX_PAYLOAD]; size_t len; hinge_command_t cmd; uint8_t st;']
    for c in VECTORS:
        name, inp = c["name"], c.get("inputs", {})
        if c["kind"] == "data":
            rows = ", ".join("{{%d,%d,%d},{%d,%d,%d}}" % tuple((r + [0, 0, 0])[:6]) for r in inp["raw"])
            lines += ["  {", f"    static const hinge_sample_t s[] = {{{rows}}};",
                      f"    uint8_t cfg = hinge_config_byte({inp['acc_code']}, {inp['gyr_code']}, "
                      f"{int(inp['has_gyro'])}, {int(inp['overflow'])});",
                      f"    len = hinge_encode_data(buf, sizeof buf, cfg, {inp['sequence']}u, {inp['t_first_ticks']}u, s, "
                      f"{len(inp['raw'])}u, {int(inp['has_gyro'])});",
                      f'    hex("{name}", buf, len);', "  }"]
        elif c["kind"] == "info":
            lines += [f"  len = hinge_encode_info(buf, {inp['fw'][0]}, {inp['fw'][1]}, {inp['fw'][2]}, {inp['clock_hz']}u, "
                      f"{inp['rate_hz']}u, hinge_config_byte({inp['acc_code']}, {inp['gyr_code']}, {int(inp['has_gyro'])}, 0), "
                      f"{int(inp['streaming'])}, {int(inp['gyro_available'])}, {inp['max_samples']});",
                      f'  hex("{name}", buf, len);']
        elif c["kind"] == "command":
            b = bytes.fromhex(c["hex"])
            arr = ", ".join(str(x) for x in b)
            lines += ["  {", f"    static const uint8_t in[] = {{{arr}}};",
                      f"    st = hinge_parse_command(in, sizeof in, &cmd);",
                      f'    printf("{name} %u %u %u %u %u %u %u\\n", st, cmd.op, '
                      '(unsigned)(cmd.op == HINGE_OP_CONFIGURE ? cmd.rate_hz : 0), cmd.op == HINGE_OP_CONFIGURE ? cmd.acc_code : 0, '
                      'cmd.op == HINGE_OP_CONFIGURE ? cmd.gyr_code : 0, cmd.op == HINGE_OP_CONFIGURE ? cmd.gyro_enabled : 0, '
                      'cmd.op == HINGE_OP_CONFIGURE ? cmd.max_samples : 0);', "  }"]
        elif c["kind"] == "response":
            lines += [f"  len = hinge_encode_response(buf, {inp['opcode']}, {inp['status']});", f'  hex("{name}", buf, len);']
    lines += ['  printf("max_samples %u %u %u %u\\n", (unsigned)hinge_max_samples(23, 1), (unsigned)hinge_max_samples(247, 1), '
              '(unsigned)hinge_max_samples(517, 1), (unsigned)hinge_max_samples(23, 0));',
              '  { static const uint8_t bad[] = {3, 100, 0, 9, 4, 1, 0}; printf("bad_range %u\\n", hinge_parse_command(bad, 7, &cmd)); }',
              '  { static const uint8_t bad[] = {9}; printf("bad_op %u\\n", hinge_parse_command(bad, 1, &cmd)); }',
              '  return 0;', '}']
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def c_output(tmp_path_factory):
    if CC is None:
        pytest.skip("no C compiler (cc/gcc/clang) on PATH")
    d = tmp_path_factory.mktemp("c")
    (d / "main.c").write_text(_program())
    exe = d / "vectors"
    cmd = [CC, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wconversion", "-I", str(PKG / "c"),
           str(d / "main.c"), "-o", str(exe)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    return dict(line.split(" ", 1) for line in out.strip().splitlines())


@pytest.mark.parametrize("case", [pytest.param(c, id=c["name"]) for c in VECTORS if c["kind"] in ("data", "info", "response")])
def test_c_bytes_equal_shared_vectors_and_decode_in_python(c_output, case):
    c_bytes = bytes.fromhex(c_output[case["name"]])
    assert c_bytes == bytes.fromhex(case["hex"])
    if case["kind"] == "data":
        s = h.decode_data(c_bytes, **case["decode_args"])
        np.testing.assert_allclose(s.acc_mps2, case["expected"]["acc_mps2"], rtol=1e-12, atol=0)
        assert s.sequence == case["expected"]["sequence"]
    elif case["kind"] == "info":
        assert h.decode_info(c_bytes).clock_hz == case["expected"]["clock_hz"]


@pytest.mark.parametrize("case", [pytest.param(c, id=c["name"]) for c in VECTORS if c["kind"] == "command"])
def test_c_parses_python_commands(c_output, case):
    st, op, rate, acc, gyr, gyro, max_n = map(int, c_output[case["name"]].split())
    e = case["expected"]
    assert st == 0 and op == {"start": 1, "stop": 2, "configure": 3}[e["op"]]
    if e["op"] == "configure":
        assert rate == e["rate_hz"] and h.ACC_RANGES_G[acc] == e["acc_range_g"]
        assert h.GYR_RANGES_DPS[gyr] == e["gyr_range_dps"] and bool(gyro) == e["gyro"] and max_n == e["max_samples_per_packet"]


def test_c_packet_sizes_and_errors_agree_with_python(c_output):
    assert list(map(int, c_output["max_samples"].split())) == [
        h.max_samples_per_packet(23), h.max_samples_per_packet(247), h.max_samples_per_packet(517),
        h.max_samples_per_packet(23, has_gyro=False)]
    assert c_output["bad_range"] == "4" and c_output["bad_op"] == "1"
