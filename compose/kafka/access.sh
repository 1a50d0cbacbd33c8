# GENERATED from learnflow/mesh/policy.py by `python -m learnflow.deploy.render_k8s --write`.
# Do not edit: change the policy and re-run (tests fail on drift).
set -eu
cat > /tmp/admin.properties <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$PW_ADMIN";
EOF
B=kafka:9092
C="--bootstrap-server $B --command-config /tmp/admin.properties"
# topics (clients may not create them: auto.create.topics.enable=false)
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic code.executed --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic code.executed.dlq --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic code.submitted --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic exercise.assigned --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic exercise.assigned.dlq --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic exercise.graded --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic exercise.graded.dlq --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic exercise.published --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic learning.response --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic learning.response.dlq --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic learning.routed --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic learning.routed.dlq --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic notification.created --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic progress.updated --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic quiz.completed --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic quiz.completed.dlq --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic session.activity --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic session.activity.dlq --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic session.finalized --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic session.started --partitions 3 --replication-factor 1
/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic struggle.detected --partitions 3 --replication-factor 1
# ACLs: each app writes what it produces and reads what it subscribes to
/opt/kafka/bin/kafka-acls.sh $C --add --allow-principal User:code-runner --operation Write --resource-pattern-type literal --topic 'code.executed' --topic 'session.activity'
/opt/kafka/bin/kafka-acls.sh $C --add --allow-principal User:debrief --operation Read --resource-pattern-type literal --group 'debrief'
/opt/kafka/bin/kafka-acls.sh $C --add --allow-principal User:debrief --operation Read --resource-pattern-type literal --topic 'code.executed' --topic 'code.executed.dlq' --topic 'exercise.assigned' --topic 'exercise.assigned.dlq' --topic 'exercise.graded' --topic 'exercise.graded.dlq' --topic 'learning.response' --topic 'learning.response.dlq' --topic 'learning.routed' --topic 'learning.routed.dlq' --topic 'quiz.completed' --topic 'quiz.completed.dlq' --topic 'session.activity.dlq'
/opt/kafka/bin/kafka-acls.sh $C --add --allow-principal User:debrief --operation Write --resource-pattern-type literal --topic 'code.executed.dlq' --topic 'exercise.assigned' --topic 'exercise.assigned.dlq' --topic 'exercise.graded.dlq' --topic 'learning.response.dlq' --topic 'learning.routed.dlq' --topic 'notification.created' --topic 'progress.updated' --topic 'quiz.completed.dlq' --topic 'struggle.detected'
/opt/kafka/bin/kafka-acls.sh $C --add --allow-principal User:frontend --operation Read --resource-pattern-type literal --group 'frontend'
/opt/kafka/bin/kafka-acls.sh $C --add --allow-principal User:frontend --operation Read --resource-pattern-type literal --topic 'exercise.assigned' --topic 'notification.created' --topic 'progress.updated' --topic 'struggle.detected'
/opt/kafka/bin/kafka-acls.sh $C --add --allow-principal User:ops --operation Describe --resource-pattern-type literal --group '*'
/opt/kafka/bin/kafka-acls.sh $C --add --allow-principal User:ops --operation Read --resource-pattern-type prefixed --group 'ops-'
/opt/kafka/bin/kafka-acls.sh $C --add --allow-principal User:ops --operation Read --resource-pattern-type literal --topic 'code.executed' --topic 'code.executed.dlq' --topic 'code.submitted' --topic 'exercise.assigned' --topic 'exercise.assigned.dlq' --topic 'exercise.graded' --topic 'exercise.graded.dlq' --topic 'exercise.published' --topic 'learning.response' --topic 'learning.response.dlq' --topic 'learning.routed' --topic 'learning.routed.dlq' --topic 'notification.created' --topic 'progress.updated' --topic 'quiz.completed' --topic 'quiz.completed.dlq' --topic 'session.activity' --topic 'session.activity.dlq' --topic 'session.finalized' --topic 'session.started' --topic 'struggle.detected'
/opt/kafka/bin/kafka-acls.sh $C --add --allow-principal User:triage --operation Read --resource-pattern-type literal --group 'triage'
/opt/kafka/bin/kafka-acls.sh $C --add --allow-principal User:triage --operation Read --resource-pattern-type literal --topic 'session.activity'
/opt/kafka/bin/kafka-acls.sh $C --add --allow-principal User:triage --operation Write --resource-pattern-type literal --topic 'exercise.graded' --topic 'exercise.published' --topic 'learning.response' --topic 'learning.routed' --topic 'notification.created' --topic 'quiz.completed' --topic 'session.activity.dlq' --topic 'session.finalized' --topic 'session.started' --topic 'struggle.detected'
/opt/kafka/bin/kafka-acls.sh $C --add --allow-principal User:tutor --operation Write --resource-pattern-type literal --topic 'code.submitted' --topic 'exercise.graded' --topic 'quiz.completed' --topic 'session.activity'
