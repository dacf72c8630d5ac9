import yaml
from yaml import SafeLoader


def parse(text):
    # ruleid: yaml-unsafe-load
    return yaml.load(text, Loader=yaml.Loader)


def parse_full(text):
    # ruleid: yaml-unsafe-load
    return yaml.load(text, Loader=yaml.FullLoader)


def parse_default(text):
    # ruleid: yaml-unsafe-load
    return yaml.load(text)


def parse_unsafe(text):
    # ruleid: yaml-unsafe-load
    return list(yaml.unsafe_load_all(text))


def parse_safe(text):
    # ok: yaml-unsafe-load
    return yaml.safe_load(text)


def parse_safe_loader(text):
    # ok: yaml-unsafe-load
    return yaml.load(text, Loader=SafeLoader)


def parse_positional(text):
    # ok: yaml-unsafe-load
    return yaml.load(text, yaml.CSafeLoader)
