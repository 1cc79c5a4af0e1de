pub struct Counter {
    count: u32,
}

impl Counter {
    pub fn new() -> Self {
        Counter { count: 0 }
    }

    pub fn incr(&mut self) -> u32 {
        self.count = self.count.saturating_add(1);
        self.count
    }
}
