-- Home Office Immediate Justice return: spend reported against the ledger, per quarter.
{{ reconciliation('quarter', "streams.reported_in = 'ho-immediate-justice'", ref('rpt_ho_immediate_justice__summary')) }}
