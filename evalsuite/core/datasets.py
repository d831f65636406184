"""Public data sets that benchmarks can use: ``evalsuite data pull NAME`` and ``data list``.

A pulled file lives in the data cache, ``$EVALSUITE_CACHE/data`` (default
``~/.cache/evalsuite/data``, beside the reply cache), under the file name of its entry in
``DATASETS``. The download streams into a temporary file of a unique name in that folder
(``safe_files.replacing``: never a planted symlink's target); only a complete transfer whose
sha256 equals the entry's is renamed into place (``os.replace``, atomic on one file system), so
an interrupted or corrupted transfer never leaves a file that looks complete.
``cached_path(name)`` is how a benchmark finds a pulled file; run time needs no network.

Only ``http`` and ``https`` URLs are fetched (``--url file:///etc/passwd`` or ``data:`` would
otherwise copy anything readable into the cache), and a transfer is stopped as soon as it
passes the entry's ``max_bytes`` (the published file's exact size where we know it), so a
wrong URL cannot fill the disk before the checksum is even computed.

An entry published as an Excel workbook (``xlsx_sheet`` set) is converted to CSV (one sheet,
pandas ``to_csv(index=False)``, which needs ``openpyxl``) and the checksum is that of the CSV.

An entry whose publisher gives only an md5 (``md5`` set, ``sha256`` None: Matbench Discovery's
figshare files) is verified against that md5; the sha256 of the verified file is then recorded
beside it, in ``FILENAME.sha256`` (``sha256sum`` format), and printed by ``data pull``.

An entry with neither (``smolinstruct``: the publisher gives no checksum and none could be
established here) is refused before any byte is downloaded, unless ``data pull --sha256 HEX``
pins one: the file is then verified against that hash, as a pinned one would be.

A pulled zip archive (``chembench4k``, ``matbench-text``, ``smolinstruct``) is kept as it is;
benchmarks read its members in place (``zip_member``), each size-capped, never extracted.
"""

from __future__ import annotations

import hashlib
import json
import sys
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from evalsuite.core.errors import BenchmarkError, DataError, DataSetError
from evalsuite.core.safe_files import replacing

CHUNK = 1 << 16
TIMEOUT_S = 60
PAROUTES = ("https://raw.githubusercontent.com/MolecularAI/PaRoutes/"
            "634d8545c4163feeb260ea631223c249bf80adc0/analysis/tests/data/")


class DownloadFailed(DataSetError):
    """The transfer itself failed (offline, DNS, refused, cut off), not the file."""


@dataclass(frozen=True, slots=True)
class DataSet:
    name: str
    url: str
    sha256: str | None
    filename: str
    description: str
    max_bytes: int
    """The most bytes the download may have: the exact size of the published file where it is
    known, else a bound (the two workbooks, whose exact sizes could not be read offline)."""
    xlsx_sheet: str | None = None
    md5: str | None = None
    """The publisher's md5, checked where no sha256 is pinned."""


DATASETS: dict[str, DataSet] = {
    d.name: d
    for d in (
        DataSet(
            name="uspto50k",
            # Pinned to a commit so the checksum cannot drift with the branch.
            url="https://raw.githubusercontent.com/kaist-amsg/LocalRetro/"
            "32d748cc3dbf86ef55a493232915992cc4f0aaa2/data/USPTO_50K/class_test.csv",
            sha256="606be1a3f7eb6ecae0ba7b8cc2885bd2ebf4ce05b25baef48ba93447811a15f6",
            filename="uspto50k_test.csv",
            description="USPTO-50K test split, 5,007 atom-mapped reactions with class 1-10 "
            "(Schneider et al. 2016; LocalRetro's class_test.csv)",
            max_bytes=1_974_084,
        ),
        DataSet(
            name="hte-suzuki-miyaura",
            url="https://raw.githubusercontent.com/rxn4chemistry/rxn_yields/"
            "a805799b835b8fa876a7b6da564744f1555301b7/data/Suzuki-Miyaura/aap9112_Data_File_S1.xlsx",
            sha256="a6c7e8250b95ce9883e8cb9d1908ab212d5f75a72ca170898b01f5db23437199",
            filename="hte_suzuki_miyaura.csv",
            description="Suzuki-Miyaura HTE, 5,760 reactions with yields (Perera et al., Science 2018)",
            max_bytes=16 << 20,
            xlsx_sheet="0",
        ),
        DataSet(
            name="hte-buchwald-hartwig",
            url="https://raw.githubusercontent.com/rxn4chemistry/rxn_yields/"
            "a805799b835b8fa876a7b6da564744f1555301b7/data/Buchwald-Hartwig/Dreher_and_Doyle_input_data.xlsx",
            sha256="137fd6c05e79f1d4da5d79c51dd36a361cfe4f1d274fa0e9eeb637ca7cd62684",
            filename="hte_buchwald_hartwig.csv",
            description="Buchwald-Hartwig HTE, 3,955 reactions with yields (Ahneman et al., Science 2018)",
            max_bytes=16 << 20,
            xlsx_sheet="Plates1-3",
        ),
        # -- crystal-stability (Matbench Discovery's figshare files; md5 from its data-files.yml.
        # The API address is the one Matbench Discovery downloads from: figshare's
        # figshare.com/files/ID pages sit behind a web firewall)
        DataSet(
            name="wbm-summary",
            url="https://api.figshare.com/v2/file/download/64706751",
            sha256=None,
            md5="1555268d3aa59d20262cb9d01ce0994b",
            filename="2023-12-13-wbm-summary.csv.gz",
            max_bytes=512 << 20,  # the publisher gives no size: a bound
            description="Matbench Discovery's WBM test set summary, 256,963 materials with MP2020-corrected "
            "formation energies and hull distances, unique-prototype flags (figshare.com/files/64706751)",
        ),
        DataSet(
            name="mp-energies",
            url="https://api.figshare.com/v2/file/download/52080797",
            sha256=None,
            md5="7eb0c49fc169ba92783f2f6d0d19d741",
            filename="2025-02-01-mp-energies.csv.gz",
            max_bytes=512 << 20,  # the publisher gives no size: a bound
            description="Materials Project formation energies and hull distances (eV/atom), as "
            "Matbench Discovery publishes them (figshare.com/files/52080797)",
        ),
        # -- Intern-S1's science set (docs/benchmarks/intern-s1.md). OpenCompass's own archives,
        # with the md5 of its registry (opencompass/utils/datasets_info.py); sizes are bounds.
        DataSet(
            name="chembench4k",
            url="https://opencompass.oss-cn-shanghai.aliyuncs.com/datasets/data/ChemBench4K.zip",
            sha256=None,
            md5="fc23fd21b2566a5dbbebfa4601d7779c",
            filename="chembench4k.zip",
            max_bytes=64 << 20,
            description="ChemBench4K (ChemLLM; AI4Chem/ChemBench4K), 9 subsets of four-option questions, "
            "dev/ and test/ {Name}_benchmark.json, as OpenCompass packs it",
        ),
        DataSet(
            name="matbench-text",
            url="https://opencompass.oss-cn-shanghai.aliyuncs.com/datasets/data/Matbench.zip",
            sha256=None,
            md5="99f9457f54f4f419da9556af56ac4c24",
            filename="matbench_text.zip",
            max_bytes=256 << 20,
            description="OpenCompass's Matbench text tasks (matbench_base_fold_0_{task}_test.json for steels, "
            "expt_gap, expt_is_metal, glass)",
        ),
        DataSet(
            name="smolinstruct",
            # No checksum is published and none could be established offline: `data pull
            # smolinstruct --sha256 HEX` after checking the file yourself.
            url="https://huggingface.co/datasets/osunlp/SMolInstruct/resolve/main/data.zip",
            sha256=None,
            filename="smolinstruct_data.zip",
            max_bytes=4 << 30,
            description="SMolInstruct's data.zip (osunlp/SMolInstruct): raw items, templates and the "
            "instruction-tuning sample lists the data set's loader script combines",
        ),
        DataSet(
            name="paroutes-ref-routes",
            url=PAROUTES + "ref-routes.json",
            sha256="8c80690876bfdd7850ac37172e103be24ef791061d107fb0841102f7da166e63",
            filename="paroutes_ref_routes.json",
            description="PaRoutes test fixture: reference routes of 2 targets (reaction-tree JSON; "
            "MolecularAI/PaRoutes, Apache-2.0)",
            max_bytes=4_672,
        ),
        DataSet(
            name="paroutes-routes",
            url=PAROUTES + "routes.json",
            sha256="8d7b2eedeb07707bf450d54e6b54a699385d2507e3d1f873dd321871ee46c2ef",
            filename="paroutes_routes.json",
            description="PaRoutes test fixture: a planner's predicted routes for the same 2 targets "
            "(MolecularAI/PaRoutes, Apache-2.0)",
            max_bytes=25_964,
        ),
    )
}


def data_dir() -> Path:
    from evalsuite.core.cache_dir import cache_root

    return cache_root() / "data"


def dataset(name: str) -> DataSet:
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise DataSetError(f"unknown data set {name!r}; known: {known}") from None


def cached_path(name: str) -> Path | None:
    """The pulled file of data set ``name``, or None when it has not been pulled.

    Only verified files are ever renamed into place, so presence means verified.
    """
    path = data_dir() / dataset(name).filename
    return path if path.is_file() else None


def sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return sha256_of_stream(handle)


def sha256_of_stream(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def pull(name: str, url: str | None = None, folder: Path | None = None, sha256: str | None = None) -> Path:
    """Download data set ``name`` (from ``url`` when given) into ``folder`` (default: the data
    cache), verify it, and return its path. ``sha256``: the hash to verify an entry that pins
    none (refused before downloading without it); for a pinned entry it must be the pinned one."""
    entry = dataset(name)
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise DataSetError(f"{name}: --sha256 must be 64 hexadecimal digits")
        if entry.sha256 is not None and entry.sha256 != sha256:
            raise DataSetError(f"{name}: --sha256 differs from the pinned {entry.sha256}")
        entry = replace(entry, sha256=sha256)
    elif entry.sha256 is None and entry.md5 is None:
        raise DataSetError(f"{name}: no checksum is pinned for {entry.url}; download it yourself, check it, "
                           f"and pass `--sha256 HEX`, or give the benchmark --data PATH")
    final = (folder or data_dir()) / entry.filename
    if final.is_file() and verify(entry, final) is None:
        return final
    source = url or entry.url
    if urlsplit(source).scheme.lower() not in ("http", "https"):
        raise DataSetError(f"{name}: only http:// and https:// URLs are downloaded, not {source!r}")
    final.parent.mkdir(parents=True, exist_ok=True)
    with replacing(final, "w+b") as handle:  # an exception below removes the partial file
        fetch(source, handle, entry.max_bytes)
        if entry.xlsx_sheet is not None:
            handle.seek(0)
            table = xlsx_to_csv(handle.read(), entry.xlsx_sheet)
            handle.seek(0)
            handle.truncate()
            handle.write(table)
        handle.flush()
        handle.seek(0)
        problem = verify_digests(entry, *digests_of_stream(handle))
        if problem is not None:
            raise DataSetError(f"{name}: checksum mismatch ({problem}); the downloaded file was removed")
    if entry.sha256 is None:
        record_sha256(final)
    return final


def digests_of_stream(handle: IO[bytes]) -> tuple[str, str]:
    """(sha256, md5) of a stream, in one pass."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    for chunk in iter(lambda: handle.read(CHUNK), b""):
        sha.update(chunk)
        md5.update(chunk)
    return sha.hexdigest(), md5.hexdigest()


def digests_of(path: Path) -> tuple[str, str]:
    with open(path, "rb") as handle:
        return digests_of_stream(handle)


def verify(entry: DataSet, path: Path) -> str | None:
    """None when ``path`` has the entry's pinned sha256 (else its publisher's md5), or what differs."""
    return verify_digests(entry, *digests_of(path))


def verify_digests(entry: DataSet, sha: str, md5: str) -> str | None:
    if entry.sha256 is not None:
        return None if sha == entry.sha256 else f"expected sha256 {entry.sha256}, got {sha}"
    if entry.md5 is None:
        return "the entry pins no checksum"
    return None if md5 == entry.md5 else f"expected the publisher's md5 {entry.md5}, got {md5}"


def recorded_sha256(name: str) -> str | None:
    """The sha256 recorded when data set ``name`` was verified by its publisher's md5."""
    sidecar = data_dir() / f"{dataset(name).filename}.sha256"
    try:
        return sidecar.read_text(encoding="utf-8").split()[0]
    except (OSError, IndexError):
        return None


def record_sha256(final: Path) -> None:
    """Write ``FINAL.sha256`` beside a verified file (fresh temporary name, then renamed)."""
    sha, _ = digests_of(final)
    with replacing(final.with_name(f"{final.name}.sha256"), "w") as handle:
        handle.write(f"{sha}  {final.name}\n")


def fetch(url: str, out: IO[bytes], max_bytes: int) -> None:
    """Stream ``url`` into ``out``; a short, broken or oversized transfer raises DataSetError."""
    received = 0
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            expected = response.headers.get("Content-Length")
            if expected is not None and expected.isdigit() and int(expected) > max_bytes:
                raise DataSetError(f"download from {url} announces {int(expected):,} bytes, more than "
                                   f"the {max_bytes:,} expected; not downloaded")
            while chunk := response.read(CHUNK):
                received += len(chunk)
                if received > max_bytes:
                    raise DataSetError(f"download from {url} passed the {max_bytes:,} bytes expected; "
                                       "stopped and removed")
                out.write(chunk)
    except DataSetError:
        raise
    except Exception as exc:  # noqa: BLE001 (urllib, http.client and socket errors all mean the same here)
        raise DownloadFailed(
            f"download from {url} failed after {received} bytes: {type(exc).__name__}: {exc}"
        ) from None
    if expected is not None and expected.isdigit() and received != int(expected):
        raise DataSetError(
            f"download from {url} was interrupted: {received} of {expected} bytes received"
        )


EXPANDED_RATIO = 40  # a workbook's XML is 5-10 times its zip; more is a bomb
EXPANDED_FLOOR = 16 << 20


def xlsx_to_csv(workbook: bytes, sheet: str) -> bytes:
    """One sheet of a workbook as CSV bytes (pandas ``to_csv(index=False)``, UTF-8)."""
    import io
    import zipfile

    import pandas as pd

    # Bounded before parsing: a workbook is a zip of XML, and a 1 MB one can hold 232 MB of XML
    # (175 s and 731 MB to parse before any checksum could refuse it). zipfile reads a member no
    # further than its declared size, so the declared sizes bound the work.
    limit = max(EXPANDED_FLOOR, EXPANDED_RATIO * len(workbook))
    try:
        with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise DataSetError(f"the downloaded workbook is not a zip archive: {exc}") from None
    if expanded > limit:
        raise DataSetError(f"the downloaded workbook expands to {expanded:,} bytes, more than {limit:,} "
                           f"({EXPANDED_RATIO} x its size); not read")
    try:
        frame = pd.read_excel(io.BytesIO(workbook), sheet_name=int(sheet) if sheet.isdigit() else sheet)
    except ImportError as exc:
        raise DataSetError(f"reading the published workbook needs openpyxl: {exc}") from None
    except Exception as exc:  # noqa: BLE001 (any reader failure means a bad workbook)
        raise DataSetError(f"could not read sheet {sheet!r} of the workbook: {exc}") from None
    return frame.to_csv(index=False).encode("utf-8")


def zip_member(path: Path, suffix: str, max_bytes: int) -> bytes | None:
    """The bytes of the member of zip ``path`` whose name is ``suffix`` or ends with ``/suffix``
    (the shortest such name), read in place; None when there is none; a member larger than
    ``max_bytes`` uncompressed is refused."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            found = [i for i in archive.infolist() if i.filename == suffix or i.filename.endswith("/" + suffix)]
            if not found:
                return None
            info = min(found, key=lambda i: len(i.filename))
            if info.file_size > max_bytes:
                raise DataSetError(f"{path}: {info.filename} is {info.file_size:,} bytes, more than {max_bytes:,}")
            with archive.open(info) as handle:
                data = handle.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise DataSetError(f"{path}: {info.filename} is larger than {max_bytes:,} bytes")
            return data
    except (OSError, zipfile.BadZipFile) as exc:
        raise DataSetError(f"cannot read the archive {path}: {exc}") from None


def json_list(where: Path | tuple[Path, str], what: str, max_bytes: int, expected: str) -> list[Any]:
    """The JSON list in a file, or in a member (by name suffix) of a pulled zip, at most
    ``max_bytes``; ``what`` names the benchmark in errors, ``expected`` says what the list holds."""
    path = where[0] if isinstance(where, tuple) else where
    try:
        if isinstance(where, tuple):
            raw = zip_member(path, where[1], max_bytes)
            if raw is None:
                raise BenchmarkError(f"{what}: {where[1]} is not in {path}")
            rows = json.loads(raw.decode("utf-8"))
        else:
            if path.stat().st_size > max_bytes:
                raise DataError(path, 0, f"larger than {max_bytes} bytes")
            rows = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BenchmarkError(f"{what}: cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise DataError(path, exc.lineno, f"invalid JSON: {exc.msg}") from None
    if not isinstance(rows, list):
        raise DataError(path, 1, f"expected a JSON list of {expected}")
    return rows


def cli_pull(name: str, url: str | None = None, sha256: str | None = None) -> int:
    """``evalsuite data pull NAME [--url URL] [--sha256 HEX]``: 0 pulled, 1 failed, 2 unknown name."""
    if name not in DATASETS:
        print(f"evalsuite: unknown data set {name!r}; `evalsuite data list` shows the known ones", file=sys.stderr)
        return 2
    try:
        path = pull(name, url, sha256=sha256)
    except DataSetError as exc:
        print(f"evalsuite: {exc}", file=sys.stderr)
        if isinstance(exc, DownloadFailed):  # offline, DNS, refused, cut off: say what works without network
            print(f"evalsuite: cannot download {name}. Without network: give the file to the run with "
                  f"--data PATH (evalsuite run ... --data PATH), or pull it where there is network and copy "
                  f"{DATASETS[name].filename} into {data_dir()}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"evalsuite: cannot write to the data cache {data_dir()}: {exc}", file=sys.stderr)
        return 1
    sha = recorded_sha256(name)
    print(f"{name}: {path}" + (f" (publisher's md5 verified; sha256 {sha})" if sha else ""))
    return 0


def cli_list() -> int:
    """``evalsuite data list``: name, whether pulled (and where), source, description."""
    for entry in DATASETS.values():
        path = cached_path(entry.name)
        where = str(path) if path else "not pulled"
        print(f"{entry.name}\t{where}\t{entry.url}\t{entry.description}")
    return 0
