package delta

// DefaultIOConcurrency is Options.IOConcurrency's default: enough requests
// in flight to hide an object store's tens of milliseconds per request
// behind each other, few enough that a scan's read-ahead stays small.
const DefaultIOConcurrency = 16

// ioConcurrency resolves Options.IOConcurrency.
func (o *Options) ioConcurrency() int {
	if o.IOConcurrency <= 0 {
		return DefaultIOConcurrency
	}
	return o.IOConcurrency
}
