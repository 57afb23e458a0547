-- Home Office Immediate Justice return: spend reported against the ledger, per quarter.
{{ reconciliation('quarter', "streams.stream_id = 'HO-IJ'", ref('rpt_ho_immediate_justice__summary')) }}
