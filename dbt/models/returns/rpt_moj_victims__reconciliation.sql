-- MoJ victims' services return: spend reported per grant line against the ledger, per half-year.
{{ reconciliation('half', "streams.funder = 'MoJ'", ref('rpt_moj_victims__grant_lines')) }}
