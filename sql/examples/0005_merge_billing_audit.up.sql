-- parent: 0003 0004
-- message: merge billing and audit branches

-- A merge revision joins branches; it holds no SQL.
