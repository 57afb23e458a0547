-- Home Office VRU return: spend reported against the ledger, per quarter.
{{ reconciliation('quarter', "streams.stream_id = 'HO-VRU'", ref('rpt_ho_vru__spend')) }}
