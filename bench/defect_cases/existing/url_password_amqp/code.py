BROKER_URL = "amqp://guest_user:Rabbit2024pw@mq.example.com:5672/prod"
