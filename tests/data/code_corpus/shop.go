// Package shop keeps orders.
package shop

import "fmt"

type (
	// Order is one order.
	Order struct {
		Items []Item
	}

	// Item is one line of an order.
	Item struct {
		Price int
	}

	Pricer interface {
		Price() int
	}

	Cents int
)

type Alias = Order

type Store[T any] struct {
	items []T
}

// Total sums the order.
func (o *Order) Total() int {
	total := 0
	for _, it := range o.Items {
		total += it.Price
	}
	return total
}

func (s Store[T]) Len() int { return len(s.items) }

func (c Cents) String() string {
	return fmt.Sprintf("%d cents", int(c))
}

func New(items ...Item) *Order {
	sum := func(xs []Item) int { return len(xs) }
	_ = sum(items)
	return &Order{Items: items}
}
