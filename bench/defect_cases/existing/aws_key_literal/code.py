import boto3

s3 = boto3.client("s3", aws_access_key_id="AKIAIOSFODNN7REALKEY", region_name="eu-west-1")
