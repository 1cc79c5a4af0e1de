package store

import "errors"

type Store struct {
	items map[string]int
}

// Get returns the value for key.
func (s *Store) Get(key string) (int, error) {
	v, ok := s.items[key]
	if !ok {
		return 0, errors.New("missing")
	}
	return v, nil
}

func New() *Store {
	return &Store{items: map[string]int{}}
}
