package datasource

// TagError is a problem with one tag's definition, found by the project
// loader or a driver's Prepare. Its message reads
// "file:line: tag NAME: field: message".
type TagError struct {
	Tag   *Tag
	Field string // the project-file field, e.g. "address"
	Err   error
}

// Error implements error.
func (e *TagError) Error() string {
	pos := e.Tag.AddressPos()
	if e.Field != "address" || pos.Line == 0 {
		pos = e.Tag.Pos
	}
	msg := "tag " + e.Tag.Name + ": " + e.Field + ": " + e.Err.Error()
	if p := pos.String(); p != "" {
		return p + ": " + msg
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *TagError) Unwrap() error { return e.Err }
