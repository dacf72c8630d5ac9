"""AP-HARDCODED-CONFIG across modules: credentialed CORS whose origins come from a settings default of `["*"]`."""

from __future__ import annotations

from typing import Any

from ...model import Finding, Location, Severity
from ..base import Bad, ProjectCheck


class CorsSettingsDefaultAnyOrigin(ProjectCheck):
    """CORS allows credentials with origins read from a setting whose default is any origin (`["*"]`).

    Why it matters: `allow_origins=settings.CORS_ORIGINS, allow_credentials=True` looks
    configured, but when the settings class gives `CORS_ORIGINS` a default of `["*"]`, every
    deployment that does not override it lets any website call the API with the user's cookies.
    Default to an empty list (or the real front-end origin) and set the list per environment.
    Known limits: joins by the setting's attribute name across the project (facts of BG411); a
    setting overridden by the environment in production is still reported (warning).
    """

    code = "BG415"
    name = "cors-credentials-with-any-origin-default"
    gate = "AP-HARDCODED-CONFIG"
    severity = Severity.WARNING
    message = "CORS with credentials reads `{attr}`, whose settings default is `[\"*\"]` ({where}); default to the real origins"
    fix = "give the setting a safe default (`[]` or the front-end origin) and set it per environment"
    facts_needed = ("cors_any_origin_default", "cors_credentials_from_setting")
    example_path = "app/main.py"
    good = [
        {
            "app/config.py": "from pydantic_settings import BaseSettings\n\nclass Settings(BaseSettings):\n    cors_origins: list[str] = []\n",
            "app/main.py": "from fastapi.middleware.cors import CORSMiddleware\nfrom .config import settings\n\n"
            "app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True)\n",
        }
    ]
    bad = [
        Bad(
            {
                "app/config.py": "from pydantic_settings import BaseSettings\n\nclass Settings(BaseSettings):\n    cors_origins: list[str] = ['*']\n",
                "app/main.py": "from fastapi.middleware.cors import CORSMiddleware\nfrom .config import settings\n\n"
                "app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True)\n",
            },
            line=4,
            path="app/main.py",
        )
    ]

    def run(self, project: Any) -> list[Finding]:
        defaults: dict[str, tuple[str, int]] = {}
        for path, fact in project.facts("cors_any_origin_default"):
            defaults.setdefault(fact["attr"], (path, fact["line"]))
        out: list[Finding] = []
        for path, fact in project.facts("cors_credentials_from_setting"):
            found = defaults.get(fact["attr"])
            if found is None:
                continue
            where = f"{found[0]}:{found[1]}"
            out.append(self.make_finding(Location(path, fact["line"]), attr=fact["attr"], where=where, extra={"confidence": "medium"}))
        return out
