"""Stack configuration: a stack's ``dataproduct:`` keys and ``aws:region``, read the way ``pulumi up``
hands them to the program. No pulumi import.

There are two ways in and one way through:

- under the engine, the program reads the raw config (:func:`dataproduct_iac.program.runtime_config`),
  where every value is a string;
- offline (``plan``, ``drift --live``, ``scan``), :func:`read_stack_file` reads ``Pulumi.yaml`` and
  ``Pulumi.<stack>.yaml``, decrypts ``secure:`` values, applies the project's declared defaults and
  turns each value into the string the engine would pass (:func:`engine_text`).

Both end in :func:`parse_stack_config`, which checks the keys (unknown ones refused with a
did-you-mean), converts each value from its string by the type the setting declares, and builds the
:class:`~dataproduct_iac.settings.StackSettings` and the program's inputs. So the offline plan and
``pulumi up`` read the same configuration the same way.

Keys (namespace ``dataproduct``): ``manifests``, ``values``, ``secrets``, ``overrides`` (see
:class:`ProgramInputs`) and every setting of :data:`SETTINGS`; ``aws:region`` is the default region of
depots that name none.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, ManifestError, display_path
from .placeholders import ValueSources
from .settings import SettingError, StackSettings, default_environment

NAMESPACE = "dataproduct"
REGION_KEY = "aws:region"
"""The stack's AWS region: the provider's region and the default region of depots that name none."""
PROGRAM_KEYS = ("manifests", "values", "secrets", "overrides")
"""Keys that say what to deploy; every other ``dataproduct:`` key is a setting (:data:`SETTINGS`)."""
DEFAULT_PROJECT = "dataproduct"
"""The project name outside a Pulumi project (no ``Pulumi.yaml`` at or above the working directory)."""
PLACEHOLDER_SECRET = "[plan placeholder: secure value not decrypted]"
"""What a ``secure:`` stack value becomes offline when it cannot be decrypted (no passphrase)."""
CONFIG_SOURCE = "stack config"
"""Where a problem is reported when the configuration did not come from a file (the engine's)."""

_NOT_SETTINGS = ("project", "stack", "region")
"""StackSettings fields that are not ``dataproduct:`` keys: given by the engine, or ``aws:region``."""
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
"""What the engine accepts for an ``integer`` config key (Go's ``strconv.Atoi``)."""


# -- the settings and their types ----------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    """One ``dataproduct:<key>`` setting: the StackSettings field it fills and how it is parsed."""

    key: str
    """The config key, camelCase (``secretRecoveryWindowDays``)."""
    attribute: str
    """The StackSettings field (``secret_recovery_window_days``)."""
    kind: str
    """``string``, ``boolean``, ``integer``, ``number``, ``mapping`` or ``list``."""
    default: Any
    """The field's default; an empty config value means "not set", so the default applies."""

    @property
    def pulumi_type(self) -> str | None:
        """The type ``Pulumi.yaml`` can declare for this key (``None``: Pulumi has no such type)."""
        return {"string": "string", "boolean": "boolean", "integer": "integer"}.get(self.kind)


def to_camel(name: str) -> str:
    """``secret_recovery_window_days`` → ``secretRecoveryWindowDays``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _kind(annotation: Any) -> str:
    """The setting kind of a field's type (``T | None`` reads as ``T``: an unset value is ``None``)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) != 1:
            raise TypeError(f"a setting has one type, not {annotation!r}")
        annotation = members[0]
    origin = typing.get_origin(annotation) or annotation
    kinds: dict[Any, str] = {str: "string", bool: "boolean", int: "integer", float: "number"}
    kinds.update({dict: "mapping", list: "list", tuple: "list"})
    if origin not in kinds:
        raise TypeError(f"no config parser for the setting type {annotation!r}")
    return kinds[origin]


def _settings_table() -> dict[str, Setting]:
    hints = typing.get_type_hints(StackSettings)
    table: dict[str, Setting] = {}
    for spec in fields(StackSettings):
        if spec.name in _NOT_SETTINGS:
            continue
        default = spec.default_factory() if callable(spec.default_factory) else spec.default
        table[to_camel(spec.name)] = Setting(to_camel(spec.name), spec.name, _kind(hints[spec.name]), default)
    return table


SETTINGS: dict[str, Setting] = _settings_table()
"""Every setting key, derived from :class:`StackSettings`: its fields are the one home of the names,
types and defaults (``Pulumi.yaml``'s ``config:`` block declares the same, checked by a test)."""
KNOWN_KEYS = (*PROGRAM_KEYS, *SETTINGS)


# -- what the engine passes ----------------------------------------------------------------------
def engine_text(value: Any) -> str:
    """A config value as the engine hands it to the program: text.

    Strings stay as written; booleans are ``true``/``false``; numbers their decimal text; mappings and
    lists JSON (the program parses them back). ``None`` (an empty YAML value) is the empty string.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, separators=(",", ":"))


# -- where problems are reported -----------------------------------------------------------------
@dataclass
class ConfigLocation:
    """The file and lines a stack's keys came from (``stack config`` and line 0 when unknown)."""

    file: str = CONFIG_SOURCE
    lines: dict[str, int] = field(default_factory=dict)
    """Line of each full key (``dataproduct:protect``) in the stack file."""

    def problem(self, key: str, message: str) -> Diagnostic:
        full = key if ":" in key else f"{NAMESPACE}:{key}"
        return Diagnostic(self.file, self.lines.get(full, 0), full, message)


# -- reading the project and stack files ---------------------------------------------------------
@dataclass
class StackFile:
    """A project's ``Pulumi.yaml`` and one stack's ``Pulumi.<stack>.yaml``, read without the CLI."""

    root: Path
    project: str
    stack: str
    path: Path
    exists: bool
    config: dict[str, str] = field(default_factory=dict)
    """Full key (``dataproduct:protect``, ``aws:region``) → the text the engine would pass, ``secure:``
    values decrypted (or :data:`PLACEHOLDER_SECRET`) and the project's declared defaults applied."""
    location: ConfigLocation = field(default_factory=ConfigLocation)
    notes: list[str] = field(default_factory=list)
    """What the offline reading could not do as the engine does (secrets not decrypted, ESC)."""
    environments: list[str] = field(default_factory=list)
    """Pulumi ESC environments the stack imports (``environment:``): not read offline."""

    def namespace(self, prefix: str = NAMESPACE) -> dict[str, str]:
        """The keys of one namespace, without it."""
        return {k.partition(":")[2]: v for k, v in self.config.items() if k.partition(":")[0] == prefix}


def find_project_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding a ``Pulumi.yaml``."""
    for candidate in [start, *start.parents]:
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    return None


def project_root(start: str | Path = ".") -> Path:
    """The project directory for a command run in ``start``: the one with ``Pulumi.yaml``, or ``start``."""
    here = Path(start).resolve()
    return find_project_root(here) or here


def _project(root: Path) -> tuple[dict[str, Any], str]:
    """``Pulumi.yaml``'s document and the project name (:data:`DEFAULT_PROJECT` outside a project)."""
    project_file = root / "Pulumi.yaml"
    if project_file.exists() or project_file.is_symlink():
        project_doc, _ = _yaml_mapping(project_file)
        return project_doc, str(project_doc.get("name") or root.name)
    return {}, DEFAULT_PROJECT


def _stack_path(root: Path, project_doc: Mapping[str, Any], stack: str) -> Path:
    return root / str(project_doc.get("stackConfigDir") or ".") / f"Pulumi.{stack}.yaml"


def _config_block(path: Path, project: str) -> tuple[dict[str, Any], dict[str, Any], ConfigLocation]:
    """A stack file's document, its ``config:`` mapping and where each key is.

    A top-level scalar keeps the text it is written with (``protect: "false"``, ``protect: false`` and
    ``days: 07`` reach the program as ``false``, ``false`` and ``07``): the engine passes that text.
    Mappings and lists keep their YAML types; the engine passes them as JSON.
    """
    document, lines = _yaml_mapping(path)
    location = ConfigLocation(display_path(path))
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise ManifestError(
            [Diagnostic(location.file, lines.get(("config",), 1), "config", "expected a mapping")]
        )
    location.lines = {_full_key(str(k), project): lines.get(("config", k), 0) for k in config}
    if any(not isinstance(v, dict | list) for v in config.values()):
        literal = _literal_config(path)
        config = {k: v if isinstance(v, dict | list) else literal.get(str(k), v) for k, v in config.items()}
    return document, config, location


def _literal_config(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping with every scalar as the text it is written with (no YAML typing)."""
    import yaml

    document = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    config = document.get("config") if isinstance(document, dict) else None
    return {str(k): v for k, v in config.items()} if isinstance(config, dict) else {}


def locate_stack_config(root: Path, stack: str) -> ConfigLocation:
    """Where a stack's config keys are written, for messages about the values the engine passed."""
    try:
        project_doc, project = _project(root)
        path = _stack_path(root, project_doc, stack)
        if not path.is_file():
            return ConfigLocation(display_path(path))
        return _config_block(path, project)[2]
    except ManifestError:
        return ConfigLocation()


def read_stack_file(root: Path, stack: str, environ: Mapping[str, str] | None = None) -> StackFile:
    """Read ``Pulumi.yaml`` (project name, ``stackConfigDir``, declared config) and the stack's file.

    Without a ``Pulumi.yaml`` in ``root`` (a command run outside a Pulumi project), the project is
    :data:`DEFAULT_PROJECT` and the stack file is looked for in ``root`` itself. Raises
    :class:`ManifestError` for unreadable files and for values the engine would refuse.
    """
    environ = os.environ if environ is None else environ
    project_doc, project = _project(root)
    path = _stack_path(root, project_doc, stack)
    result = StackFile(
        root, project, stack, path, path.is_file(), location=ConfigLocation(display_path(path))
    )
    raw: dict[str, Any] = {}
    if result.exists:
        document, config, result.location = _config_block(path, project)
        decrypt = _decrypter(document, environ, result.notes)
        raw = {_full_key(str(k), project): _unsecure(v, decrypt) for k, v in config.items()}
        result.environments = _environments(document.get("environment"))
        if result.environments:
            result.notes.append(
                "the stack imports Pulumi ESC environment(s) "
                + ", ".join(result.environments)
                + ": their values are not read offline (`pulumi preview` sees them)"
            )
    declared = _declared_config(project_doc, project)
    for key, declaration in declared.items():
        if key not in raw and ("default" in declaration or "value" in declaration):
            raw[key] = declaration.get("default", declaration.get("value"))
    result.config = {key: engine_text(value) for key, value in raw.items()}
    problems: list[Diagnostic] = []
    for key, declaration in declared.items():
        message = _engine_type_error(declaration, raw.get(key))
        if message:
            problems.append(result.location.problem(key, message))
    if problems:
        raise ManifestError(problems)
    return result


def _full_key(key: str, project: str) -> str:
    """A stack file key with its namespace (a bare key belongs to the project)."""
    return key if ":" in key else f"{project}:{key}"


def _declared_config(project_doc: Mapping[str, Any], project: str) -> dict[str, dict[str, Any]]:
    """``Pulumi.yaml``'s ``config:`` block: full key → declaration (``type``, ``default``, ``value``)."""
    block = project_doc.get("config") or {}
    if not isinstance(block, dict):
        return {}
    declared: dict[str, dict[str, Any]] = {}
    for key, declaration in block.items():
        full = _full_key(str(key), project)
        if isinstance(declaration, dict):
            declared[full] = dict(declaration)
        else:  # shorthand: a default for project keys, a value for other namespaces
            declared[full] = {"default" if full.startswith(f"{project}:") else "value": declaration}
    return declared


def _engine_type_error(declaration: Mapping[str, Any], value: Any) -> str | None:
    """The engine's check of a stack value against a typed declaration in ``Pulumi.yaml``."""
    kind = declaration.get("type")
    if kind is None or value is None:
        return None
    if kind == "array":
        item = (declaration.get("items") or {}).get("type")
        ok = isinstance(value, list) and all(_engine_scalar_ok(item, v) for v in value)
        return None if ok else f"must be of type 'array<{item}>' (Pulumi.yaml declares it)"
    if isinstance(value, dict | list):
        return f"must be of type '{kind}' (Pulumi.yaml declares it)"
    return (
        None
        if _engine_scalar_ok(kind, engine_text(value))
        else f"must be of type '{kind}' (Pulumi.yaml declares it)"
    )


def _engine_scalar_ok(kind: str | None, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or bool(
            isinstance(value, str) and _INTEGER.match(value)
        )
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    return True


def _environments(value: Any) -> list[str]:
    """The ESC environment names of a stack file's ``environment:`` (a list, or ``imports:``)."""
    if isinstance(value, dict):
        value = value.get("imports")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _yaml_mapping(path: Path) -> tuple[dict[str, Any], dict[Any, int]]:
    """A YAML file whose top level is a mapping, read as YAML 1.2 (like the CLI), with key lines."""
    from .yaml_source import read_documents

    shown = display_path(path)
    documents = read_documents(path, shown)
    if not documents:
        return {}, {}
    data = documents[0].data
    if not isinstance(data, dict):
        raise ManifestError([Diagnostic(shown, 1, "<file>", "expected a YAML mapping")])
    return data, dict(documents[0].lines)


def _decrypter(
    document: Mapping[str, Any], environ: Mapping[str, str], notes: list[str]
) -> Callable[[str], str]:
    """Decrypt ``secure:`` values with the passphrase provider, or stand in a marked placeholder."""
    passphrase = environ.get("PULUMI_CONFIG_PASSPHRASE")
    passphrase_file = environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if passphrase is None and passphrase_file:
        try:
            passphrase = Path(passphrase_file).read_text(encoding="utf-8").rstrip("\n")
        except OSError:
            passphrase = None
    salt = document.get("encryptionsalt")
    reason = ""
    cipher: Any = None
    if passphrase is None:
        reason = "PULUMI_CONFIG_PASSPHRASE is not set"
    elif not isinstance(salt, str):
        reason = "the stack file has no 'encryptionsalt' (not a passphrase-encrypted stack)"
    else:
        try:
            # Optional: pulumi-crypto is not a runtime dependency (only the dev extra installs it), so an
            # installed dataproduct plans secure values with a placeholder unless the user adds it.
            from pulumi_crypto import PassphraseCipher
        except ImportError:
            reason = "pulumi-crypto is not installed"
        else:
            try:
                cipher = PassphraseCipher(passphrase, salt_state=salt)
            except Exception:
                reason = "PULUMI_CONFIG_PASSPHRASE does not decrypt this stack's secrets"

    def decrypt(ciphertext: str) -> str:
        if cipher is not None:
            try:
                return str(cipher.decrypt(ciphertext))
            except Exception:
                pass
        note = f"secure stack values are planned with a placeholder ({reason or 'a value did not decrypt'})"
        if note not in notes:
            notes.append(note)
        return PLACEHOLDER_SECRET

    return decrypt


def _unsecure(value: Any, decrypt: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"} and isinstance(value["secure"], str):
            return decrypt(value["secure"])
        return {k: _unsecure(v, decrypt) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsecure(v, decrypt) for v in value]
    return value


# -- parsing: text → typed settings and program inputs -------------------------------------------
@dataclass
class ProgramInputs:
    """Everything the stack program needs, read from stack config (or given by a command)."""

    manifests: list[str]
    """Manifest paths or globs, absolute (relative ones are taken from the project root)."""
    sources: ValueSources
    """Placeholder values: ``dataproduct:values`` (a mapping, or values files) and the secret
    ``dataproduct:secrets``, which may only fill secret fields."""
    overrides: dict[str, Any]
    """Per-resource partial manifests (by name or ``kind/name``), deep-merged before validation."""
    settings: StackSettings
    root: Path
    exclude: list[str] = field(default_factory=list)
    """Files under the manifest paths that are not manifests (values files)."""
    location: ConfigLocation = field(default_factory=ConfigLocation)
    """Where the configuration came from, for messages."""


def parse_settings(
    config: Mapping[str, Any],
    *,
    project: str,
    stack: str,
    region: Any = None,
    location: ConfigLocation | None = None,
) -> StackSettings:
    """The :class:`StackSettings` of the setting keys in ``config`` (without the namespace; values as
    the engine passes them, or Python values, which are first turned into that text). Program keys are
    ignored here; unknown keys are refused. Raises :class:`ManifestError`."""
    location = location or ConfigLocation()
    problems: list[Diagnostic] = []
    settings = _build_settings(config, project, stack, region, location, problems)
    if problems:
        raise ManifestError(problems)
    return settings


def parse_stack_config(
    config: Mapping[str, Any],
    *,
    project: str,
    stack: str,
    root: str | Path,
    region: Any = None,
    location: ConfigLocation | None = None,
    environment: Mapping[str, str] | None = None,
) -> ProgramInputs:
    """The program's inputs from the ``dataproduct:`` keys (without the namespace) and ``aws:region``.

    Values are taken as the engine passes them (text; JSON for mappings and lists); Python values are
    first turned into that text (:func:`engine_text`), so ``protect: "false"`` and ``protect: false``
    mean the same, as they do under ``pulumi up``. Every problem is collected; raises
    :class:`ManifestError` naming the key (and the stack file's line when known).
    """
    from .placeholders import read_values_file

    root = Path(root)
    location = location or ConfigLocation()
    problems: list[Diagnostic] = []
    text = {key: engine_text(value) for key, value in config.items()}

    manifests = _paths(text.get("manifests"), "manifests", location, problems)
    if "manifests" in text and not manifests and not problems:
        problems.append(location.problem("manifests", "give at least one manifest path or glob"))
    manifests = [p if Path(p).is_absolute() else str(root / p) for p in manifests]

    values: dict[str, Any] = {}
    files: list[dict[str, Any]] = []
    parsed_values = _json(text.get("values"))
    if isinstance(parsed_values, dict):
        values = parsed_values
    else:
        for path in _paths(text.get("values"), "values", location, problems):
            try:
                files.append(read_values_file(path if Path(path).is_absolute() else root / path))
            except ManifestError as exc:
                problems.extend(exc.diagnostics)
    secrets = _mapping(
        text.get("secrets"), "secrets", "a mapping of placeholder name to secret value", location, problems
    )
    overrides = _mapping(
        text.get("overrides"),
        "overrides",
        "a mapping of resource name to partial manifest",
        location,
        problems,
    )
    settings = _build_settings(text, project, stack, region, location, problems)
    if problems:
        raise ManifestError(problems)
    sources = ValueSources(files=[values, *reversed(files)], secrets=secrets, environment=environment)
    return ProgramInputs(manifests, sources, overrides, settings, root, location=location)


def _settings_values(
    config: Mapping[str, Any], location: ConfigLocation, problems: list[Diagnostic]
) -> dict[str, Any]:
    """Known setting keys parsed into their attribute's type; unknown keys reported."""
    values: dict[str, Any] = {}
    for key, raw in config.items():
        setting = SETTINGS.get(key)
        if setting is None:
            if key not in PROGRAM_KEYS:
                problems.append(location.problem(key, _unknown_key(key)))
            continue
        try:
            value = parse_setting(setting, engine_text(raw))
        except ValueError as exc:
            problems.append(location.problem(key, str(exc)))
            continue
        if value is not None:
            values[setting.attribute] = value
    return values


def _build_settings(
    config: Mapping[str, Any],
    project: str,
    stack: str,
    region: Any,
    location: ConfigLocation,
    problems: list[Diagnostic],
) -> StackSettings:
    """The settings of ``config``'s setting keys and the region; problems are collected."""
    values = _settings_values(config, location, problems)
    values.setdefault("environment", default_environment(stack))
    region_text = engine_text(region).strip() if region is not None else ""
    try:
        return StackSettings(project=project, stack=stack, region=region_text or None, **values)
    except SettingError as exc:
        problems.append(location.problem(to_camel(exc.attribute), exc.message))
        return StackSettings(project=project, stack=stack)


def _unknown_key(key: str) -> str:
    camel = to_camel(key)
    if camel != key and camel in KNOWN_KEYS:
        return f"unknown configuration key; config keys are camelCase: {NAMESPACE}:{camel}"
    close = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.6)
    hint = f"; did you mean {NAMESPACE}:{close[0]}?" if close else ""
    return f"unknown configuration key{hint}"


def parse_setting(setting: Setting, text: str) -> Any:
    """One setting's value from the engine's text; ``None`` for empty text (not set: the default).

    Raises ``ValueError`` with a message naming what was expected (never the value of a secret:
    settings hold none).
    """
    if text == "":
        return None
    if setting.kind == "string":
        return text
    if setting.kind == "boolean":
        if text not in ("true", "false"):
            raise ValueError(f"expected true or false, got {text!r}")
        return text == "true"
    if setting.kind == "integer":
        if not _INTEGER.match(text):
            raise ValueError(f"expected a whole number, got {text!r}")
        return int(text)
    if setting.kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"expected a finite number, got {text!r}")
        return number
    parsed = _json(text)
    if setting.kind == "mapping":
        if not isinstance(parsed, dict) or any(
            isinstance(v, dict | list) or v is None for v in parsed.values()
        ):
            raise ValueError("expected a mapping of names to text values")
        return {str(k): engine_text(v) for k, v in parsed.items()}
    if not isinstance(parsed, list) or not all(isinstance(v, str) for v in parsed):
        raise ValueError("expected a list of text values")
    return list(parsed)


def _json(text: str | None) -> Any:
    """A mapping or list the engine passed as JSON; anything else stays text."""
    if text is None or not text.startswith(("{", "[")):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _paths(text: str | None, key: str, location: ConfigLocation, problems: list[Diagnostic]) -> list[str]:
    value = _json(text)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    problems.append(location.problem(key, "expected a path or a list of paths"))
    return []


def _mapping(
    text: str | None, key: str, expected: str, location: ConfigLocation, problems: list[Diagnostic]
) -> dict[str, Any]:
    value = _json(text)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        problems.append(location.problem(key, f"expected {expected}"))
        return {}
    return value


# -- one stack, as a command reads it ------------------------------------------------------------
def stack_inputs(
    stack: str,
    *,
    start: str | Path = ".",
    paths: list[str] | None = None,
    environ: Mapping[str, str] | None = None,
    environment: Mapping[str, str] | None = None,
) -> tuple[StackFile, ProgramInputs]:
    """A stack's program inputs read offline, as ``pulumi up`` would read them.

    With ``paths``, those manifests replace the stack's ``manifests``/``values``/``secrets``/
    ``overrides`` and only its settings apply. ``environ`` is where the passphrase is looked up,
    ``environment`` where placeholders fall back to (both default to the process environment).
    Raises :class:`ManifestError` for bad config, :class:`StackNotFound` when neither paths nor a
    stack file exist.
    """
    root = project_root(start)
    stack_file = read_stack_file(root, stack, environ)
    config: dict[str, Any] = stack_file.namespace()
    if paths:
        config = {k: v for k, v in config.items() if k not in PROGRAM_KEYS}
        config["manifests"] = [os.path.abspath(p) for p in paths]
    elif not stack_file.exists:
        raise StackNotFound(stack_file.path)
    inputs = parse_stack_config(
        config,
        project=stack_file.project,
        stack=stack,
        root=root,
        region=stack_file.config.get(REGION_KEY),
        location=stack_file.location,
        environment=environment,
    )
    return stack_file, inputs


def stack_settings(
    stack: str, *, start: str | Path = ".", environ: Mapping[str, str] | None = None
) -> StackSettings:
    """A stack's :class:`StackSettings` as its program sees them, read offline (no CLI)."""
    root = project_root(start)
    stack_file = read_stack_file(root, stack, environ)
    config = {k: v for k, v in stack_file.namespace().items() if k not in PROGRAM_KEYS}
    return parse_settings(
        config,
        project=stack_file.project,
        stack=stack,
        region=stack_file.config.get(REGION_KEY),
        location=stack_file.location,
    )


class StackNotFound(ManifestError):
    """No manifest paths were given and the stack has no config file to read them from."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__([Diagnostic(display_path(path), 0, "<file>", "no such stack file")])

    def summary(self) -> str:
        return (
            f"no PATH given and no stack file {display_path(self.path)} to read the manifests from; "
            "give manifest paths or an existing --stack"
        )


# -- the project file's declarations -------------------------------------------------------------
def pulumi_yaml_declarations(descriptions: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """The ``config:`` block ``Pulumi.yaml`` declares: every key Pulumi can type, with its default.

    Pulumi types ``string``, ``integer``, ``boolean`` and arrays; mappings (``values``, ``secrets``,
    ``overrides``, ``tags``, ...) and numbers cannot be declared and are checked by the program only.
    A key with no default is required by Pulumi, so settings without a fixed default (``environment``
    comes from the stack name, optional text is unset) declare ``""``: empty means "not set".
    """
    descriptions = descriptions or {}
    block: dict[str, dict[str, Any]] = {
        "manifests": {
            "type": "array",
            "items": {"type": "string"},
            "description": descriptions.get(
                "manifests", "Manifest paths or globs, relative to the project root."
            ),
        }
    }
    for key, setting in SETTINGS.items():
        kind = setting.pulumi_type
        if kind is None:
            continue
        entry: dict[str, Any] = {"type": kind}
        if key in descriptions:
            entry["description"] = descriptions[key]
        derived = key == "environment" or setting.default is None
        if derived and kind != "string":
            continue  # Pulumi would require it: such a key stays undeclared
        entry["default"] = "" if derived else setting.default
        block[key] = entry
    return block
