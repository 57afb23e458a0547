-- The reporting periods the packs are due for: quarters and half-years of every year with data.
-- Its columns are int_reporting_periods's (the contract in _returns__models.yml names them).
select * from {{ ref('int_reporting_periods') }}
