package embedded

// Crash abandons s as a killed process would: the write-ahead log is not checkpointed into the
// file, and the file lock is released.
func Crash(s *Store) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.wal != nil {
		s.wal.close()
	}
	return s.db.Close()
}

// LogBytes is how many bytes of frames the write-ahead log holds.
func LogBytes(s *Store) int64 {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.wal == nil {
		return 0
	}
	return s.wal.end
}

// EncodeFrame exposes the log's frame encoding to the fuzzer.
func EncodeFrame(put bool, ids [][16]byte, records [][]byte) []byte {
	op, entries := walDelete, make([]walEntry, len(ids))
	if put {
		op = walPut
	}
	for i := range ids {
		entries[i].id = ids[i]
		if put {
			entries[i].record = records[i]
		}
	}
	return encodeFrame(nil, op, entries)
}

// DecodeFrames exposes the log's frame decoding to the fuzzer: it returns, per frame, whether it
// is a put and its ids and records, and the bytes the frames span.
func DecodeFrames(data []byte) (puts []bool, ids [][][16]byte, records [][][]byte, n int) {
	n, _ = decodeFrames(data, func(op byte, entries []walEntry) error {
		puts = append(puts, op == walPut)
		var fi [][16]byte
		var fr [][]byte
		for _, e := range entries {
			fi, fr = append(fi, e.id), append(fr, e.record)
		}
		ids, records = append(ids, fi), append(records, fr)
		return nil
	})
	return puts, ids, records, n
}
