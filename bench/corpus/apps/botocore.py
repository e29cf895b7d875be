"""botocore: an S3 client from the bundled service models, a stubbed call, request signing."""
# dists: botocore, jmespath, python-dateutil, urllib3
import botocore.session
from botocore.stub import Stubber

session = botocore.session.get_session()
client = session.create_client("s3", region_name="eu-west-1", aws_access_key_id="AKIDEXAMPLE",
                               aws_secret_access_key="secret")
print("operations:", len(client.meta.service_model.operation_names) > 50)
print("endpoint:", client.meta.endpoint_url)
with Stubber(client) as stub:
    stub.add_response("list_buckets", {"Buckets": [{"Name": "corpus"}], "Owner": {"ID": "x"}})
    print([b["Name"] for b in client.list_buckets()["Buckets"]])
print(sorted(session.get_available_services())[:5])
try:
    client.get_object(Bucket="b")
except Exception as e:
    print(type(e).__name__)
