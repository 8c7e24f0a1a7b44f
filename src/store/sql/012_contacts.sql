-- 012_contacts.sql — duty contact lists (应急联络表) per authority (issue 5); replaced as a whole on import.
CREATE TABLE duty_contacts (
  id            INTEGER PRIMARY KEY,
  authority_id  INTEGER NOT NULL REFERENCES authorities(id),
  position      INTEGER NOT NULL,                 -- order in the list
  unit          TEXT NOT NULL,                    -- 单位
  duty_phone    TEXT,                             -- 值班电话
  contact       TEXT,                             -- 联系人
  mobile        TEXT,                             -- 手机
  email         TEXT,
  note          TEXT,
  updated_by    TEXT NOT NULL,
  updated_ms    INTEGER NOT NULL
) STRICT;
CREATE INDEX duty_contacts_authority ON duty_contacts(authority_id, position);
