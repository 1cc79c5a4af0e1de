//! A stack and the shapes around it.

use std::fmt;

/// A stack of numbers.
#[derive(Debug, Default)]
pub struct Stack<T> {
    items: Vec<T>,
}

impl<T: Clone> Stack<T> {
    /// Pushes one item.
    #[inline]
    pub fn push(&mut self, item: T) {
        self.items.push(item);
    }

    pub fn peek(&self) -> Option<T> {
        fn last<U: Clone>(xs: &[U]) -> Option<U> {
            xs.last().cloned()
        }
        last(&self.items)
    }
}

pub enum Shape {
    Circle(f64),
    Square(f64),
}

pub trait Area {
    fn area(&self) -> f64;

    fn describe(&self) -> String {
        format!("area {}", self.area())
    }
}

impl Area for Shape {
    fn area(&self) -> f64 {
        match self {
            Shape::Circle(r) => 3.14 * r * r,
            Shape::Square(s) => s * s,
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "shape")
    }
}

pub type Result<T> = std::result::Result<T, String>;

macro_rules! square {
    ($x:expr) => {
        $x * $x
    };
}

mod util {
    pub fn helper() -> i32 {
        square!(2)
    }
}
