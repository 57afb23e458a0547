-- Home Office VRU return: spend reported against the ledger, per quarter.
{{ reconciliation('quarter', "streams.reported_in = 'ho-vru'", ref('rpt_ho_vru__spend'), by_stream=false) }}
