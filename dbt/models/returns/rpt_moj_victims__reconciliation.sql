-- MoJ victims' services return: spend reported per grant line against the ledger, per half-year.
{{ reconciliation('half', "streams.reported_in = 'moj-victims'", ref('rpt_moj_victims__grant_lines')) }}
