"""Where an App Service app's siteConfig values are read.

The site GET returns `siteConfig` with null values (WebApps_Get); the values live in the site's
`config/web` resource (WebApps_GetConfiguration). A value the site states is used; otherwise the
config/web resource is read, and when the snapshot holds neither the check is not assessed.
"""

from __future__ import annotations

from auditor.api import DataError, Resource
from auditor.inventory import Context

SITE_CONFIG = "Microsoft.Web/sites/config"


def site_setting(site: Resource, ctx: Context, name: str) -> tuple[Resource, str]:
    """The resource and path that hold siteConfig value `name` for the site."""
    path = f"properties.siteConfig.{name}"
    if site.has(path):
        return site, path
    for config in ctx.children(site, SITE_CONFIG):
        if config.name.lower() == "web":
            return config, f"properties.{name}"
    raise DataError(f"{path} is null in the site GET and the site's config/web is not in the snapshot")


def site_value(site: Resource, ctx: Context, name: str, *, default: object, expect: type) -> object:
    """A siteConfig value with ARM's default when config/web leaves it out; noted on the site."""
    holder, path = site_setting(site, ctx, name)
    value = holder.get(path, default=default, expect=expect)
    site.note(f"{'siteConfig' if holder is site else 'config/web'}.{name}", value)
    return value
