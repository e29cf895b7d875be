"""boto3: a session, a DynamoDB client and a stubbed call, the type serializer."""
# dists: boto3, s3transfer
import boto3
from boto3.dynamodb.types import TypeSerializer
from botocore.stub import Stubber

s = boto3.session.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                          region_name="us-east-1")
ddb = s.client("dynamodb")
with Stubber(ddb) as stub:
    stub.add_response("list_tables", {"TableNames": ["alpha", "beta"]})
    print(ddb.list_tables()["TableNames"])
print(TypeSerializer().serialize({"n": 3, "s": "x", "l": [1, "y"]}))
print("s3" in s.get_available_resources())
print(type(s.resource("s3").Bucket("corpus")).__name__)
