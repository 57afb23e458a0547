"""Government return packs: declared specs (reports/packs) rendered to xlsx, html, pdf and a manifest."""
