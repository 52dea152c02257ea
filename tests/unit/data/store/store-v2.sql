-- A quarantine database as safeguard-milter wrote it at schema version 2
-- (commit 6ca0695): the schema exactly as that version created it, and the
-- rows its hold and review wrote: a held record with two recipients, two
-- rules and a finding, a released one, and audit rows (one about no
-- record); version 2 added the status lost and queue_seen, so a third
-- record is lost and was never seen on hold.  tests/unit/test_quarantine.c
-- (test_migrate_*) opens it with the current code.
-- Times are 2026-11-01 and -02.
PRAGMA application_id = 1397181777; -- 0x53474d51, "SGMQ"
PRAGMA user_version = 2;
BEGIN;
CREATE TABLE records ( id TEXT PRIMARY KEY NOT NULL, queue_id TEXT NOT NULL, created INTEGER NOT NULL, client TEXT, trusted INTEGER NOT NULL CHECK (trusted IN (0, 1)), auth_user TEXT, env_from TEXT NOT NULL, subject TEXT, status TEXT NOT NULL CHECK (status IN  ('held', 'released', 'rejected', 'expired', 'escalated', 'lost')), status_changed INTEGER NOT NULL, message_path TEXT, message_size INTEGER NOT NULL CHECK (message_size >= 0), action TEXT NOT NULL, explain_sender TEXT NOT NULL, explain_dsl TEXT NOT NULL, queue_seen INTEGER);
CREATE INDEX records_status_created ON records (status, created);
CREATE INDEX records_created ON records (created);
CREATE INDEX records_env_from ON records (env_from);
CREATE INDEX records_queue_id ON records (queue_id);
CREATE TABLE recipients ( record_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE, pos INTEGER NOT NULL, address TEXT NOT NULL, roles TEXT NOT NULL, channel TEXT NOT NULL CHECK (channel IN ('school', 'personal', 'none')), PRIMARY KEY (record_id, pos));
CREATE TABLE rules ( record_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE, pos INTEGER NOT NULL, rule_id TEXT NOT NULL, title TEXT, policy TEXT, source TEXT, mode TEXT NOT NULL CHECK (mode IN ('enforce', 'test')), action TEXT NOT NULL, recipients TEXT NOT NULL, notify TEXT NOT NULL, explain_sender TEXT, explain_dsl TEXT, PRIMARY KEY (record_id, rule_id), UNIQUE (record_id, pos));
CREATE INDEX rules_rule_id ON rules (rule_id);
CREATE TABLE findings ( record_id TEXT NOT NULL, rule_id TEXT NOT NULL, pos INTEGER NOT NULL, detector TEXT NOT NULL, text TEXT, location TEXT, PRIMARY KEY (record_id, rule_id, pos), FOREIGN KEY (record_id, rule_id) REFERENCES rules (record_id, rule_id)  ON DELETE CASCADE);
CREATE TABLE audit ( id INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT, time INTEGER NOT NULL, actor TEXT NOT NULL, client TEXT, action TEXT NOT NULL, note TEXT);
CREATE INDEX audit_record ON audit (record_id, id);
CREATE INDEX audit_time ON audit (time);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit table is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit table is append-only'); END;
INSERT INTO records VALUES ('SG-20261101-0A0B0C', '4V1AAA1', 1793534400,
 '192.0.2.1', 0, 'j.smith', 'j.smith@school.example', 'Call me', 'held',
 1793534400, '/var/lib/safeguard-milter/messages/SG-20261101-0A0B0C.eml', 120,
 'hold', 'Your message contains a mobile number.',
 'Mr Smith sent Amy a mobile number.', 1793534700);
INSERT INTO records VALUES ('SG-20261102-1A2B3C', '4V1AAA2', 1793620800,
 NULL, 1, NULL, 'k.jones@school.example', NULL, 'released', 1793707200,
 NULL, 88, 'hold', '', '', 1793620900);
INSERT INTO recipients VALUES ('SG-20261101-0A0B0C', 0,
 'amy.pupil@school.example', 'pupil', 'school');
INSERT INTO recipients VALUES ('SG-20261101-0A0B0C', 1,
 'someone@elsewhere.example', 'external', 'none');
INSERT INTO recipients VALUES ('SG-20261102-1A2B3C', 0,
 'ben.pupil@school.example', 'pupil', 'school');
INSERT INTO rules VALUES ('SG-20261101-0A0B0C', 0, 'personal-contact',
 'Personal contact details sent to a pupil',
 'Staff must not give pupils their personal number.',
 'Trust Social Media Policy', 'enforce', 'hold', 'amy.pupil@school.example',
 'sender,dsl', 'Your message contains a mobile number.',
 'Mr Smith sent Amy a mobile number.');
INSERT INTO rules VALUES ('SG-20261101-0A0B0C', 1, 'late-night', 'Late at night',
 'No messages to pupils after 9pm.', 'Staff Code of Conduct', 'test', 'hold',
 'amy.pupil@school.example', 'dsl', 'Sent late.', 'Sent late.');
INSERT INTO rules VALUES ('SG-20261102-1A2B3C', 0, 'late-night', 'Late at night',
 NULL, NULL, 'enforce', 'hold', 'ben.pupil@school.example', 'dsl', NULL, NULL);
INSERT INTO findings VALUES ('SG-20261101-0A0B0C', 'personal-contact', 0,
 'uk-mobile', '07700 900123', 'body (text/plain)');
INSERT INTO audit (record_id, time, actor, client, action, note) VALUES
 ('SG-20261101-0A0B0C', 1793534400, 'safeguard-milter', '192.0.2.1', 'held',
  'queue id 4V1AAA1'),
 ('SG-20261102-1A2B3C', 1793620800, 'safeguard-milter', NULL, 'held',
  'queue id 4V1AAA2'),
 (NULL, 1793700000, 'alice', '192.0.2.7', 'login', NULL),
 ('SG-20261102-1A2B3C', 1793707200, 'alice', '192.0.2.7', 'released',
  'A parents'' evening reminder.');
INSERT INTO records VALUES ('SG-20261102-2C3D4E', '4V2AAA3', 1793624400,
 '192.0.2.1', 0, 'j.smith', 'j.smith@school.example', 'Again', 'lost',
 1793628000, '/var/lib/safeguard-milter/messages/SG-20261102-2C3D4E.eml', 99,
 'hold', 'Your message contains a mobile number.', '', NULL);
INSERT INTO recipients VALUES ('SG-20261102-2C3D4E', 0,
 'amy.pupil@school.example', 'pupil', 'school');
INSERT INTO audit (record_id, time, actor, client, action, note) VALUES
 ('SG-20261102-2C3D4E', 1793628000, 'safeguard-milter', NULL, 'lost',
  'not kept by the mail system');
COMMIT;
